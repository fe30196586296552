import { TEXT_SOURCES } from '@shoplog/core';
import { describe, expect, it } from 'vitest';
import { EVENT_MAPPINGS } from '../src/adapters/elasticsearch/mappings.js';
import { generateTraffic } from '../src/index.js';

// The Elasticsearch mapping is generated from the event schemas and the field catalog (mappings.ts): these check the
// result against what the events and the free-text search need.

type Json = Record<string, unknown>;

/** The mapping at a dotted path: `undefined` when unmapped; an object that is not indexed stops the walk. */
function mappingAt(path: string): Json | undefined {
  let properties = EVENT_MAPPINGS.properties as Json;
  let mapped: Json | undefined;
  for (const step of path.split('.')) {
    mapped = properties[step] as Json | undefined;
    if (!mapped) return undefined;
    if (mapped['type'] === 'flattened' || mapped['enabled'] === false) return mapped;
    properties = (mapped['properties'] as Json | undefined) ?? {};
  }
  return mapped;
}

/** Dotted paths of the leaves of a document (array items count as their parent). */
function leaves(doc: unknown, prefix = ''): string[] {
  if (Array.isArray(doc)) return doc.flatMap((item) => leaves(item, prefix));
  if (doc === null || typeof doc !== 'object') return [prefix];
  return Object.entries(doc as Json).flatMap(([key, value]) => leaves(value, prefix ? `${prefix}.${key}` : key));
}

describe('the generated Elasticsearch mapping', () => {
  it('maps every field the generated traffic carries, and nothing it was not told of', () => {
    const paths = new Set([...generateTraffic({ count: 2000, days: 2, seed: 4 })].flatMap((event) => leaves(event)));
    expect(paths.size).toBeGreaterThan(40);
    const unmapped = [...paths].filter((path) => mappingAt(path) === undefined);
    expect(unmapped).toEqual([]);
    expect(EVENT_MAPPINGS.dynamic).toBe(false);
    expect(mappingAt('shop.not_a_field')).toBeUndefined();
  });

  it("copies into shoplog.text exactly the fields free text searches (core's TEXT_SOURCES)", () => {
    for (const source of TEXT_SOURCES)
      for (const path of typeof source === 'string' ? [source] : source)
        expect(mappingAt(path)?.['copy_to'], path).toBe('shoplog.text');
  });

  it('types each field from its schema, and as searched where the schema type is not enough', () => {
    expect(mappingAt('@timestamp')).toEqual({ type: 'date_nanos' });
    expect(mappingAt('event.ingested')).toEqual({ type: 'date_nanos' });
    expect(mappingAt('event.duration')).toEqual({ type: 'long' });
    expect(mappingAt('shop.transaction.attempt')).toEqual({ type: 'long' });
    expect(mappingAt('shop.error.handled')).toEqual({ type: 'boolean' });
    expect(mappingAt('user.email')).toEqual({ type: 'keyword', ignore_above: 1024 });
    expect(mappingAt('labels')).toEqual({ type: 'flattened' });
    expect(mappingAt('http.request.headers')).toEqual({ type: 'flattened' });
    expect(mappingAt('http.request.body')).toEqual({ type: 'object', enabled: false });
    // Every money object: exact minor units, and the decimal value as a scaled float.
    for (const money of ['shop.amount', 'shop.cart.value', 'shop.product.price']) {
      expect(mappingAt(`${money}.minor`)).toEqual({ type: 'long' });
      expect(mappingAt(`${money}.value`)).toEqual({ type: 'scaled_float', scaling_factor: 10_000 });
    }
    expect(mappingAt('client.ip')).toEqual({ type: 'ip', ignore_malformed: true });
    expect(mappingAt('client.geo.location')).toEqual({ type: 'geo_point', ignore_malformed: true });
    expect(mappingAt('shop.fraud.reasons.code')).toEqual({ type: 'keyword', ignore_above: 1024 });
  });
});
