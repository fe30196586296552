import { transaction } from '@shoplog/core';
import { describe, expect, it } from 'vitest';
import { mapRecord } from '../src/index.js';
import type { LogRecord } from '../src/record.js';
import { referenceMapRecord } from './fixtures/record-reference.js';

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
}

const T0 = Date.UTC(2026, 10, 26, 17, 0, 0, 0);

/** A random record as pino (parsed line) or winston (info object) hands it over, with the odd cases mixed in. */
function randomRecord(rnd: () => number, i: number, clock: { t: number }): LogRecord {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  clock.t += Math.floor(rnd() * 40);
  const iso = new Date(clock.t).toISOString();
  const record: LogRecord = {};
  const time = pick([
    'num',
    'num',
    'iso',
    'iso',
    'isoOff',
    'isoNoMs',
    'bad',
    'none',
    'timestamp',
    '@timestamp',
    'frac',
    'past',
  ] as const);
  if (time === 'num') record.time = clock.t;
  else if (time === 'iso') record.time = iso;
  else if (time === 'isoOff') record.time = iso.replace('Z', '+02:00');
  else if (time === 'isoNoMs') record.time = iso.slice(0, 19) + 'Z';
  // Not canonical: invalid, or valid but not what toISOString() would print (Date.parse rolls 31 Nov over to 1 Dec).
  else if (time === 'bad')
    record.time = pick([
      'yesterday',
      '2026-13-01T00:00:00.000Z',
      '2026-11-31T17:00:00.000Z',
      '2026-11-26T17:00:00.00xZ',
      '',
    ]);
  else if (time === 'timestamp') record.timestamp = pick([iso, clock.t]);
  else if (time === '@timestamp') record['@timestamp'] = iso;
  else if (time === 'frac') record.time = clock.t + 0.5;
  else if (time === 'past') record.time = clock.t - 86_400_000 * Math.floor(rnd() * 400);
  record.level = pick([10, 20, 30, 30, 30, 40, 50, 60, 35, 'info', 'warn', 'error', 'silly', 'crit', undefined]);
  if (rnd() < 0.5) record.pid = 1234;
  if (rnd() < 0.5) record.hostname = 'box';
  const msg = pick(['order placed', '', 42, undefined, 'card 4242 4242 4242 4242 used']);
  if (msg !== undefined) record[rnd() < 0.6 ? 'msg' : 'message'] = msg;
  const extras: [string, unknown][] = [
    ['orderId', `ord_${i}`],
    ['amount', pick([123.45, 0, -0, 1e21, 5e-7, Number.NaN, Number.POSITIVE_INFINITY, 17])],
    ['userId', `u_${i % 100}`],
    ['ok', pick([true, false])],
    ['nothing', null],
    ['skipped', undefined],
    ['cart', { items: [1, 2], total: 'x' }],
    ['tags', ['a', 'b']],
    ['password', 'hunter2'],
  ];
  for (const [k, v] of extras) if (rnd() < 0.4) record[k] = v;
  if (rnd() < 0.3) record.service = pick(['api', { name: 'api' }]);
  if (rnd() < 0.1) record.err = { type: 'TypeError', message: 'boom', stack: 'TypeError: boom\n    at x' };
  if (rnd() < 0.05) record.stack = 'Error: x\n    at y';
  if (rnd() < 0.15) {
    record.req = {
      id: pick([7, 'r1', undefined]),
      method: 'GET',
      url: pick(['/a?b=1', '/c', undefined]),
      headers: { 'user-agent': 'ua' },
      remoteAddress: '::1',
    };
    record.res = { statusCode: pick([200, 404, 500, 503, undefined]) };
    if (rnd() < 0.8) record.responseTime = pick([3, 0.5]);
  }
  if (rnd() < 0.1) {
    const ev = transaction({
      message: 'tx',
      shop: {
        transaction: { id: `t${i}`, type: 'purchase', status: 'completed' },
        amount: { minor: 100, currency: 'EUR' },
      },
    });
    Object.assign(record, ev);
  }
  return record;
}

/** The same event apart from what is random or read from the clock by design (the id; the time of a record without one). */
function comparable(event: Record<string, unknown> | undefined, hasTime: boolean): string {
  const e = structuredClone(event) as Record<string, unknown> & { event?: { id?: string } };
  if (e.event?.id) e.event.id = '(id)';
  if (!hasTime && e['@timestamp'] !== undefined) {
    expect(Math.abs(Date.parse(e['@timestamp'] as string) - Date.now())).toBeLessThan(60_000);
    e['@timestamp'] = '(now)';
  }
  return JSON.stringify(e);
}

describe('mapRecord fast paths', () => {
  it('give the same event as the reference mapping for many random records, key order included', () => {
    const rnd = lcg(42);
    const clock = { t: T0 };
    let checked = 0;
    for (let i = 0; i < 20_000; i++) {
      const record = randomRecord(rnd, i, clock);
      const copy = structuredClone(record);
      let ours: Record<string, unknown> | undefined;
      let ref: Record<string, unknown> | undefined;
      let oursError: unknown;
      let refError: unknown;
      try {
        ours = mapRecord(record);
      } catch (err) {
        oursError = err;
      }
      try {
        ref = referenceMapRecord(copy);
      } catch (err) {
        refError = err;
      }
      expect(String(oursError)).toBe(String(refError));
      const t = record.time ?? record.timestamp ?? record['@timestamp'];
      const hasTime = typeof t === 'number' || (typeof t === 'string' && !Number.isNaN(Date.parse(t)));
      expect(comparable(ours, hasTime)).toBe(comparable(ref, hasTime));
      checked++;
    }
    expect(checked).toBe(20_000);
  });
});
