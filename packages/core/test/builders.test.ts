import { describe, expect, it } from 'vitest';
import { completeEvent, createEvent, uuidv7, type EventKind } from '@shoplog/core';

// The middleware builds its events with completeEvent (in place) instead of createEvent (copy first): both must
// give the event written out below, field for field and in the same key order (the serialised line is what gets
// shipped). createEvent is completeEvent on a copy, so comparing the two with each other alone could not fail: the
// expected events are spelled out by hand, from the rules (caller's keys first and winning, '@timestamp', event,
// log and service appended when missing, a level that fits the content).
const T = '2026-05-28T20:26:40.123Z'; // the clock below
const SERVICE = { name: 'shop', version: '1' };
const inputs: [EventKind, Record<string, unknown>, Record<string, unknown>][] = [
  [
    'performance',
    {
      trace: { id: 't' },
      message: 'GET / 200',
      event: { duration: 5, outcome: 'success' },
      log: { level: 'info' },
      shop: { performance: { kind: 'http' } },
      http: { response: { status_code: 200 } },
    },
    {
      trace: { id: 't' },
      message: 'GET / 200',
      event: {
        kind: 'metric',
        category: ['web'],
        type: ['info'],
        duration: 5,
        outcome: 'success',
        id: 'generated',
        dataset: 'shoplog.performance',
      },
      log: { level: 'info' },
      shop: { performance: { kind: 'http' } },
      http: { response: { status_code: 200 } },
      '@timestamp': T,
      service: SERVICE,
    },
  ],
  [
    'error',
    {
      message: 'boom',
      error: { type: 'Error', message: 'boom' },
      http: { response: { status_code: 404 } },
      shop: { error: { kind: 'http', handled: false } },
    },
    {
      message: 'boom',
      error: { type: 'Error', message: 'boom' },
      http: { response: { status_code: 404 } },
      shop: { error: { kind: 'http', handled: false } },
      '@timestamp': T,
      event: { kind: 'event', category: ['web'], type: ['error'], id: 'generated', dataset: 'shoplog.error' },
      log: { level: 'warn' }, // a 4xx is a warning
      service: SERVICE,
    },
  ],
  [
    'transaction',
    {
      '@timestamp': '2026-01-01T00:00:00.000Z',
      shop: { transaction: { id: 'tx', type: 'purchase', status: 'declined' }, amount: { minor: 1, currency: 'EUR' } },
    },
    {
      '@timestamp': '2026-01-01T00:00:00.000Z',
      shop: { transaction: { id: 'tx', type: 'purchase', status: 'declined' }, amount: { minor: 1, currency: 'EUR' } },
      event: { kind: 'event', category: ['web'], type: ['info'], id: 'generated', dataset: 'shoplog.transaction' },
      log: { level: 'warn' }, // declined
      service: SERVICE,
    },
  ],
  [
    'fraud',
    {
      event: { id: '0193d2a4-0000-7000-8000-000000000000' },
      shop: { fraud: { decision: 'block' } },
      service: { name: 'own' },
    },
    {
      event: {
        kind: 'alert',
        category: ['intrusion_detection'],
        type: ['indicator'],
        id: '0193d2a4-0000-7000-8000-000000000000',
        dataset: 'shoplog.fraud',
      },
      shop: { fraud: { decision: 'block' } },
      service: { name: 'own' },
      '@timestamp': T,
      log: { level: 'error' }, // a block
    },
  ],
  [
    'user_behavior',
    { shop: { action: 'search', session: { id: 's' } }, log: { logger: 'x' } },
    {
      shop: { action: 'search', session: { id: 's' } },
      log: { logger: 'x', level: 'info' },
      '@timestamp': T,
      event: {
        kind: 'event',
        category: ['web', 'session'],
        type: ['info'],
        id: 'generated',
        dataset: 'shoplog.user_behavior',
      },
      service: SERVICE,
    },
  ],
  [
    'log',
    { message: 'hello' },
    {
      message: 'hello',
      '@timestamp': T,
      event: { kind: 'event', category: ['process'], type: ['info'], id: 'generated', dataset: 'shoplog.log' },
      log: { level: 'info' },
      service: SERVICE,
    },
  ],
];

function withoutGeneratedId(event: unknown, given: boolean): string {
  const e = structuredClone(event) as { event: { id: string } };
  if (!given) e.event.id = 'generated';
  return JSON.stringify(e);
}

describe('completeEvent', () => {
  it.each(inputs)('fills a %s body exactly as createEvent builds it', (kind, input, expected) => {
    const options = { service: SERVICE, now: () => 1_780_000_000_123 };
    const callerInput = structuredClone(input);
    const copied = createEvent(kind, callerInput as never, options);
    const inPlace = completeEvent(kind, structuredClone(input), options);
    const given = (input.event as { id?: string } | undefined)?.id !== undefined;
    expect(withoutGeneratedId(inPlace, given)).toBe(JSON.stringify(expected));
    expect(withoutGeneratedId(copied, given)).toBe(JSON.stringify(expected));
    expect(withoutGeneratedId(inPlace, given)).toBe(withoutGeneratedId(copied, given));
    // createEvent copies: the caller's top-level object is left as it was.
    expect(callerInput).toEqual(input);
    if (given) expect(inPlace.event.id).toBe((input.event as { id: string }).id);
    else {
      // A UUIDv7 minted at the build's own clock: its first 48 bits are that millisecond.
      expect(inPlace.event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(parseInt(inPlace.event.id.slice(0, 8) + inPlace.event.id.slice(9, 13), 16)).toBe(1_780_000_000_123);
    }
  });

  it('fills the body it is given instead of copying it', () => {
    const body: Record<string, unknown> = { message: 'x' };
    expect(completeEvent('log', body)).toBe(body);
  });
});

describe('uuidv7', () => {
  // Built from character codes into one flat string: the layout must be exactly RFC 9562's.
  it('encodes the millisecond in the first 48 bits, then version 7, the counter and the variant', () => {
    // Ascending and after every id minted so far in this file: ids never go back in time (see the next test).
    for (const ms of [2 ** 41, 2 ** 41 + 1, 2 ** 41 + 0xffff, 2 ** 42 + 5, 2 ** 43 + 0xabcdef]) {
      const id = uuidv7(ms);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(ms);
    }
  });

  it('counts ids minted in the same millisecond in bits 52–63, and borrows the next millisecond after 4096', () => {
    const ms = 2 ** 44;
    const ids = Array.from({ length: 4098 }, () => uuidv7(ms));
    const counterOf = (id: string) => parseInt(id.slice(15, 18), 16);
    const msOf = (id: string) => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(ids.slice(0, 4096).map(counterOf)).toEqual(Array.from({ length: 4096 }, (_, i) => i));
    expect(ids.slice(0, 4096).every((id) => msOf(id) === ms)).toBe(true);
    expect(msOf(ids[4096] as string)).toBe(ms + 1);
    expect(counterOf(ids[4096] as string)).toBe(0);
    expect(counterOf(ids[4097] as string)).toBe(1);
  });
});
