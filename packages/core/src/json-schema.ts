import { z } from 'zod';
import type { EventKind } from './schema/common.js';
import { KIND_SCHEMAS, ShoplogEventSchema } from './schema/kinds.js';

/** A JSON Schema document (draft 2020-12). */
export type JsonSchema = Record<string, unknown>;

const cache = new Map<string, JsonSchema>();

/**
 * JSON Schema (draft 2020-12) of one kind of event, or of any event when `kind` is omitted, generated from the
 * zod schemas (the single source of truth). The server's OpenAPI document is built from these.
 */
export function eventJsonSchema(kind?: EventKind): JsonSchema {
  const key = kind ?? '*';
  let schema = cache.get(key);
  if (!schema) {
    const source = kind ? KIND_SCHEMAS[kind] : ShoplogEventSchema;
    schema = z.toJSONSchema(source, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' }) as JsonSchema;
    cache.set(key, schema);
  }
  return JSON.parse(JSON.stringify(schema)) as JsonSchema;
}
