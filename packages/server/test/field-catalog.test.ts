import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createRandom, FIELD_CATALOG, type FieldSpec, type ShoplogEvent } from '@shoplog/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchLogStore } from '../src/adapters/elasticsearch/index.js';
import { EVENT_MAPPINGS, withCatalogFields } from '../src/adapters/elasticsearch/mappings.js';
import { matchesFilter } from '../src/http/event-match.js';
import { parseFilter } from '../src/http/query-params.js';
import { createSqliteLogStore, generateTraffic, type LogFilter, type LogStore } from '../src/index.js';
import { mockCluster } from './adapters/es-mock.js';

type Json = Record<string, unknown>;

// ---- An evaluator of the Elasticsearch queries the adapter sends, written from the mappings (not from the catalog):
// stored fields from `_source`, the `shoplog.*` runtime fields as their Painless scripts compute them, and the
// free-text field from the mapping's `copy_to` sources, split into words as the standard analyzer does for them.
// The currencies of the amount script's exponents, as the mapping gives them to it.
const { zero, three } = EVENT_MAPPINGS.runtime['shoplog.amount'].script.params;
const ZERO = new Set(zero);
const THREE = new Set(three);
const at = (doc: unknown, path: string): unknown[] => {
  let values: unknown[] = [doc];
  for (const step of path.split('.')) {
    values = values
      .flatMap((v) => (v !== null && typeof v === 'object' ? [(v as Json)[step]] : []))
      .flatMap((v) => (Array.isArray(v) ? v : [v]));
  }
  return values.filter((v) => v !== undefined && v !== null);
};
const copyToSources = (properties: Json, prefix = ''): string[] =>
  Object.entries(properties).flatMap(([name, spec]) => {
    const s = spec as Json;
    const path = `${prefix}${name}`;
    return [
      ...(s['copy_to'] === 'shoplog.text' ? [path] : []),
      ...(s['properties'] ? copyToSources(s['properties'] as Json, `${path}.`) : []),
    ];
  });
const TEXT_COPIED = copyToSources(EVENT_MAPPINGS.properties as Json);
function esValues(doc: ShoplogEvent, field: string): unknown[] {
  const one = (path: string) => at(doc, path);
  switch (field) {
    case '@timestamp':
      return [Date.parse(doc['@timestamp'])];
    case 'shoplog.route':
      return one('http.route').length > 0 ? one('http.route') : one('url.path');
    case 'shoplog.amount': {
      if (one('shop.amount.value').length > 0) return [Number(one('shop.amount.value')[0])];
      const minor = one('shop.amount.minor')[0] as number | undefined;
      if (minor === undefined) return [];
      const c = String(one('shop.amount.currency')[0] ?? '');
      return [minor / 10 ** (ZERO.has(c) ? 0 : THREE.has(c) ? 3 : 2)];
    }
    case 'shoplog.response_ms':
      return one('event.duration').map((d) => (d as number) / 1e6);
    case 'shoplog.error_code':
      if (one('error.code').length > 0) return one('error.code');
      return doc.event.dataset === 'shoplog.error' ? one('http.response.status_code').map(String) : [];
    case 'shoplog.text':
      return TEXT_COPIED.flatMap((path) => one(path)).flatMap(
        (v) =>
          String(v)
            .toLowerCase()
            .match(/[\p{L}\p{N}_]+/gu) ?? [],
      );
    default:
      return one(field);
  }
}
function esMatches(doc: ShoplogEvent, query: Json): boolean {
  const [kind, body] = Object.entries(query)[0] as [string, Json];
  const field = Object.keys(body)[0] ?? '';
  const values = () => esValues(doc, field);
  switch (kind) {
    case 'match_all':
      return true;
    case 'match_none':
      return false;
    case 'bool':
      return [...((body['filter'] as Json[]) ?? []), ...((body['must'] as Json[]) ?? [])].every((q) =>
        esMatches(doc, q),
      );
    case 'terms':
      return values().some((v) => (body[field] as unknown[]).includes(v));
    case 'term': {
      const want = body[field] as unknown;
      const value = want !== null && typeof want === 'object' ? (want as Json)['value'] : want;
      return values().some((v) => v === value);
    }
    case 'prefix':
      return values().some((v) => String(v).startsWith(String((body[field] as Json)['value'])));
    case 'range': {
      const r = body[field] as Record<string, number>;
      return values().some(
        (v) =>
          typeof v === 'number' &&
          (r['gte'] === undefined || v >= r['gte']) &&
          (r['gt'] === undefined || v > r['gt']) &&
          (r['lt'] === undefined || v < r['lt']) &&
          (r['lte'] === undefined || v <= r['lte']),
      );
    }
    default:
      throw new Error(`the evaluator does not know the query ${kind}`);
  }
}

// ---- Events: generated traffic over two days, with GeoIP countries on most of them (none on the others).
const COUNTRIES = ['DE', 'FR', 'US', 'BR'];
const events: ShoplogEvent[] = [...generateTraffic({ count: 400, days: 2, seed: 77 })].map((event, i) =>
  i % 5 === 4
    ? ({ ...event, client: event.client && { ...event.client, geo: undefined } } as ShoplogEvent)
    : ({
        ...event,
        client: { ...event.client, geo: { country_iso_code: COUNTRIES[i % COUNTRIES.length] } },
      } as ShoplogEvent),
);

const FIELDS: readonly FieldSpec[] = FIELD_CATALOG;
/** Random filters over the catalog's filter keys, with values seen in the events (and one never seen). */
function generateFilters(n: number, seed: number): LogFilter[] {
  const random = createRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random.next() * list.length)] as T;
  const seen = (path: string | readonly string[]): unknown[] => [
    ...new Set(events.flatMap((e) => (typeof path === 'string' ? [path] : path).flatMap((p) => at(e, p)))),
  ];
  const filters: LogFilter[] = [];
  for (let i = 0; i < n; i++) {
    const filter: Record<string, unknown> = {};
    for (const f of FIELDS) {
      if (random.next() > 0.1) continue;
      if (f.filter) {
        let pool = seen(f.path);
        if (f.prefix) pool = pool.map((v) => String(v).slice(f.prefix!.length));
        filter[f.filter] = [pick(pool), pick(pool), f.type === 'keyword' ? 'never-seen' : 999].slice(
          0,
          1 + Math.floor(random.next() * 3),
        );
      }
      if (f.range?.min && random.next() < 0.7)
        filter[f.range.min] = Math.round(random.next() * (f.name === 'fraud_score' ? 100 : 300));
      if (f.range?.max && random.next() < 0.5)
        filter[f.range.max] = Math.round(random.next() * (f.name === 'fraud_score' ? 100 : 600));
    }
    if (random.next() < 0.3) {
      const words = (
        pick(events)
          .message?.toLowerCase()
          .match(/[\p{L}\p{N}_]+/gu) ?? ['x']
      ).slice(0, 2);
      filter['text'] = random.next() < 0.3 ? `${words[0]?.slice(0, 3)}*` : words.join(' ');
    }
    if (random.next() < 0.3) {
      const ts = Date.parse(pick(events)['@timestamp']);
      filter['range'] = { from: ts - 6 * 3_600_000, to: ts + 3_600_000 };
    }
    filters.push(filter as LogFilter);
  }
  return filters;
}

const ids = (list: ShoplogEvent[]) => list.map((e) => e.event.id).sort();
let dir: string;
let sqlite: LogStore;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shoplog-catalog-'));
  sqlite = createSqliteLogStore({ path: join(dir, 'events.db') });
  await sqlite.appendBatch(events);
  await sqlite.refresh();
});
afterAll(async () => {
  await sqlite.close();
  rmSync(dir, { recursive: true, force: true });
});

async function sqliteIds(store: LogStore, filter: LogFilter): Promise<string[]> {
  const page = await store.search({
    filter,
    sort: { field: '@timestamp', order: 'desc' },
    page: 1,
    size: 1000,
    highlight: false,
  });
  return page.hits.map((hit) => hit.id).sort();
}

describe('field catalog: one definition, the same matches everywhere', () => {
  it('the embedded store, the Elasticsearch query and the live-tail matcher agree on every generated filter', async () => {
    const cluster = mockCluster();
    cluster.on('POST', '/:index/_search', (request) => {
      const hits = events.filter((e) => esMatches(e, (request.body as Json)['query'] as Json));
      return {
        hits: {
          total: { value: hits.length, relation: 'eq' },
          hits: hits.map((e) => ({ _index: 'i', _id: e.event.id, _score: 1, _source: e, sort: [1, e.event.id] })),
        },
      };
    });
    const es = createElasticsearchLogStore({ client: cluster.client, install: false });
    let nonEmpty = 0;
    for (const filter of generateFilters(150, 4242)) {
      const want = ids(events.filter((e) => matchesFilter(e, filter)));
      const label = JSON.stringify(filter);
      expect(await sqliteIds(sqlite, filter), label).toEqual(want);
      const page = await es.search({
        filter,
        sort: { field: '@timestamp', order: 'desc' },
        page: 1,
        size: 1000,
        highlight: false,
      });
      expect(page.hits.map((h) => h.id).sort(), label).toEqual(want);
      if (want.length > 0 && want.length < events.length) nonEmpty++;
    }
    // The generated filters are not trivial: many select some events but not all.
    expect(nonEmpty).toBeGreaterThan(30);
  });

  it('free text made only of punctuation matches nothing in the live tail, as in both stores', async () => {
    expect(events.filter((e) => matchesFilter(e, { text: '!!!' }))).toHaveLength(0);
    expect(await sqliteIds(sqlite, { text: '!!!' })).toHaveLength(0);
  });

  it('filters by the GeoIP country (country=) in search, the live tail and Elasticsearch', async () => {
    const { filter, echo } = parseFilter({ country: 'DE, FR', range: 'all' }, Date.now());
    expect(filter.countries).toEqual(['DE', 'FR']);
    expect(echo['country']).toEqual(['DE', 'FR']);
    const want = events.filter((e) => ['DE', 'FR'].includes(String(e.client?.geo?.country_iso_code)));
    expect(want.length).toBeGreaterThan(100);
    expect(await sqliteIds(sqlite, filter)).toEqual(ids(want));
    expect(ids(events.filter((e) => matchesFilter(e, filter)))).toEqual(ids(want));
    const top = await sqlite.terms({}, 'country', { size: 10 });
    expect(top.map((b) => b.value).sort()).toEqual([...COUNTRIES].sort());
    expect(top.reduce((n, b) => n + b.count, 0)).toBe(events.length - events.length / 5);
  });

  it('adds a catalog column to an index written by the older layout: the index is rebuilt and the new filter answers', async () => {
    const old = mkdtempSync(join(tmpdir(), 'shoplog-catalog-old-'));
    try {
      const path = join(old, 'events.db');
      const first = createSqliteLogStore({ path });
      await first.appendBatch(events);
      await first.refresh();
      await first.close();
      // The layout before the `country` field: the same facts table without its column.
      const db = new DatabaseSync(join(old, 'events.index.db'));
      db.exec('ALTER TABLE facts DROP COLUMN country');
      db.close();
      const reopened = createSqliteLogStore({ path });
      try {
        await reopened.refresh();
        expect(await reopened.count()).toBe(events.length);
        expect(await sqliteIds(reopened, { countries: ['BR'] })).toEqual(
          ids(events.filter((e) => e.client?.geo?.country_iso_code === 'BR')),
        );
        expect(await sqliteIds(reopened, { kinds: ['transaction'] })).toEqual(
          ids(events.filter((e) => e.event.dataset === 'shoplog.transaction')),
        );
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
  });

  it('maps every stored catalog field, adding a missing one with its type and refusing a conflicting one', () => {
    const props = EVENT_MAPPINGS.properties as Json;
    expect(at(props, 'client.properties.geo.properties.country_iso_code.type')).toEqual(['keyword']);
    const added = withCatalogFields({}, [{ name: 'x', path: 'shop.card.issuer', type: 'keyword', doc: '' }]);
    expect(added).toEqual({
      shop: {
        type: 'object',
        properties: { card: { type: 'object', properties: { issuer: { type: 'keyword', ignore_above: 1024 } } } },
      },
    });
    expect(() =>
      withCatalogFields({ n: { type: 'keyword' } }, [{ name: 'n', path: 'n', type: 'long', doc: '' }]),
    ).toThrow(/n is a long but mapped as keyword/);
    // Every runtime field the catalog names is defined by the mappings.
    for (const f of FIELDS)
      if (f.es?.startsWith('shoplog.')) expect(Object.keys(EVENT_MAPPINGS.runtime)).toContain(f.es);
  });

  it('the live-tail matcher reads events through core, not through the embedded store', () => {
    const source = readFileSync(new URL('../src/http/event-match.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/from '\.\.\/store\//);
  });
});
