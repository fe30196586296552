import type { FastifyInstance, FastifySchemaCompiler, FastifyTypeProvider } from 'fastify';
import { toIssues } from '@shoplog/core';
import { z } from 'zod';
import type { Permission } from './auth.js';
import { HttpError } from './errors.js';
import { readNumber, type NumberParam } from './query-params.js';

/** Fastify type provider for zod route schemas: handlers see what the schemas output, replies what they accept. */
export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
  serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown;
}

/** A request body documented but not validated by its route (core validates events itself, once). */
export interface DocumentedBody {
  /** Media type of the body. */
  contentType: string;
  /** JSON Schema of the body. */
  schema: Record<string, unknown>;
  description?: string;
}

declare module 'fastify' {
  interface FastifySchema {
    /** One line for the OpenAPI document; a route without it is left out of the document. */
    summary?: string;
    /** What the route needs (its guard), shown in the OpenAPI document. */
    permission?: Permission | 'public' | 'session' | 'ingest or analyst';
    /** A body documented but validated elsewhere (events: by core). */
    documentedBody?: DocumentedBody;
  }
}

const PART: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'headers' };

/**
 * Validates a request part with its zod schema; the first failure answers the project's 400: code `bad_request`,
 * each issue with its field path (`channels[1]`, `limit`).
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  return (data: unknown) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    const issues = toIssues(result.error);
    const fields = [...new Set(issues.map((issue) => issue.path))].join(', ');
    return {
      error: new HttpError(400, 'bad_request', `invalid ${fields || PART[httpPart ?? ''] || 'request'}`, issues),
    };
  };
};

/** Route schemas only describe replies: a reply is written as `JSON.stringify` writes it, as without a schema. */
const stringify = (data: unknown): string => JSON.stringify(data);

/** Makes zod the schema language of the app's routes (before any route is added). */
export function useZodSchemas(app: FastifyInstance): void {
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(() => stringify);
}

/** A query parameter read as text (repeated parameters give a list: the routes read the first). */
export const queryText = (description: string) =>
  z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe(description);

const firstOf = (value: unknown): unknown => (Array.isArray(value) ? value[0] : value);

/**
 * A numeric query parameter with the rules of `readNumber`: `fallback` when absent or empty, a 400 naming it when
 * not a number (an integer unless `fraction`) or outside `min..max` (unless `clamp`, which pulls it in).
 */
export function queryNumber(description: string, bounds: NumberParam) {
  return z
    .unknown()
    .optional()
    .transform((value, ctx): number => {
      const raw = firstOf(value);
      if (raw === undefined || raw === '') return bounds.fallback;
      const read = readNumber(String(raw), bounds);
      if (typeof read === 'number') return read;
      ctx.addIssue({ code: 'custom', message: read.problem });
      return z.NEVER;
    })
    .meta({
      description,
      type: bounds.fraction ? 'number' : 'integer',
      default: bounds.fallback,
      ...(bounds.min > -Number.MAX_VALUE ? { minimum: bounds.min } : {}),
      ...(bounds.max < Number.MAX_VALUE ? { maximum: bounds.max } : {}),
    });
}

/** A JSON body object; no body is read as `{}`, so each missing field is named. */
export function jsonBody<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.preprocess((value) => value ?? {}, z.object(shape));
}

/** The `:id` path parameter. */
export const IdParams = z.object({ id: z.string().min(1).max(200).describe('The id') });
