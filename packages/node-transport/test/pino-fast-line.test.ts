import { describe, expect, it } from 'vitest';
import type { QueuedEntry, Sink } from '../src/index.js';
import { buildShipper, type ShipperOptions } from '../src/shipper.js';
import { tempDir } from './fixtures/events.js';
import { referenceMapRecord } from './fixtures/record-reference.js';

// The raw-line path (pino-fast-line.ts) against the full path with the frozen mapping of record-reference.ts:
// JSON.parse → mapping → redaction → JSON.stringify. Every line the raw path takes must queue the same bytes
// (apart from the random event id); every other line must be left alone, to take the full path.

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
}

function captureSink(into: QueuedEntry[]): Sink {
  return {
    name: 'capture',
    async send(batch) {
      into.push(...batch);
      return { duplicates: 0, failures: [] };
    },
  };
}

const T0 = Date.UTC(2026, 10, 26, 20, 0, 0, 0);
const ABSENT = Symbol('absent');

/** A random pino line: mostly plain ones, with every case that must take the full path mixed in. */
function randomLine(rnd: () => number, i: number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const rec: Record<string, unknown> = {};
  const level = pick([
    30,
    30,
    30,
    30,
    30,
    30,
    20,
    10,
    40,
    35,
    45,
    25,
    50,
    55,
    60,
    100,
    0,
    -5,
    1.5,
    'info',
    true,
    null,
    ABSENT,
  ]);
  if (level !== ABSENT) rec.level = level;
  const iso = new Date(T0 + i).toISOString();
  const time = pick([
    T0 + i,
    T0 + i,
    T0 + i,
    T0 + i,
    T0 + i,
    T0 + i * 7 + 0.5,
    -1,
    8.64e15,
    8.64e15 - 1,
    0,
    null,
    ABSENT,
    iso,
    iso,
    iso.replace('Z', '+02:00'),
    iso.slice(0, 19) + 'Z',
    '2026-11-31T17:00:00.000Z',
    '2026-13-01T00:00:00.000Z',
    'yesterday',
    '',
  ]);
  if (time !== ABSENT) rec.time = time;
  if (rnd() < 0.8) rec.pid = pick([4242, 4242, 4242, 'p', null]);
  if (rnd() < 0.8) rec.hostname = pick(['box', 'box', 'box', { n: 1 }]);
  if (rnd() < 0.1) rec.v = 1;
  const extras: [string, unknown][] = [
    ['orderId', `ord_${i}`],
    ['amount', pick([123.45, 0, -0, 1e21, 5e-7, 17, 4111111111111111, 4111111111111112, 12345678901234567000, 1e-7])],
    ['userId', `u_${i % 100}`],
    ['n', (rnd() < 0.5 ? -1 : 1) * Math.floor(rnd() * 10 ** pick([1, 5, 13, 15, 16, 17, 19]))],
    ['ok', pick([true, false])],
    ['nothing', null],
    [
      'note',
      pick([
        'say "hi"',
        'back\\slash',
        'line\nbreak',
        'ünïcödé ✓',
        '😀 emoji',
        'pay 4242 4242 4242 4242 now',
        '4111-1111-1111-1111',
        'x'.repeat(300),
        '\u2028',
        '',
        'ord 1234567890123',
      ]),
    ],
    ['cart', { items: [1, 2], total: 'x' }],
    ['tags', ['a', 'b']],
    [
      pick(['password', 'token', 'apiKey', 'authorization', 'cardNumber', 'sessionId', 'cookie', 'secretSauce']),
      'hunter2',
    ],
    [pick(['labels', 'log', 'id', 'kind', 'type', 'category', 'dataset']), pick(['x', 5, { a: 1 }])],
    [
      pick(['message', '@timestamp', 'timestamp', 'service', 'stack', 'responseTime', 'splat']),
      pick(['m', 3, 'Error: x\n    at y']),
    ],
    ['event', pick(['plain', { dataset: 'shoplog.log', id: 'x' }, { kind: 'k' }])],
    ['err', { type: 'TypeError', message: 'boom', stack: 'TypeError: boom\n    at x' }],
    ['error', pick(['string error', { message: 'm' }])],
    ['req', { id: 'r1', method: 'GET', url: '/a?b=1' }],
    ['res', { statusCode: pick([200, 500]) }],
    [pick(['7', '0', '42x', '-1', '1.5']), 'indexish'],
    [pick(['ключ', 'a b', 'a"b', 'tab\tkey', '', 'constructor', 'hasOwnProperty', 'toString']), 'odd key'],
  ];
  for (const [k, v] of extras)
    if (rnd() < (k === 'orderId' || k === 'amount' || k === 'userId' || k === 'n' ? 0.8 : 0.03)) rec[k] = v;
  const msg = pick([
    'order placed',
    'order placed',
    '',
    'say "hi"',
    'back\\slash',
    'tab\there',
    'ünïcödé ✓',
    '😀',
    'card 4242 4242 4242 4242 used',
    '4111111111111111',
    42,
    null,
    ABSENT,
    'x'.repeat(500),
  ]);
  if (msg !== ABSENT) rec.msg = msg;
  let text = JSON.stringify(rec);
  // Text-level variants JSON.stringify never writes, but a line may hold.
  const r = rnd();
  if (r < 0.02)
    text = text.replace(/}$/, `,"${pick(['orderId', 'level', 'msg', 'time'])}":"dup"}`); // a key twice (when it was there)
  else if (r < 0.04)
    text = text.replace('":', '": '); // whitespace
  else if (r < 0.05)
    text = text.replace(
      /}$/,
      pick([
        ',"big":1E5,"one":1.0,"neg":-0,"huge":1e400}',
        ',"d":9999999999999999,"e":-1.5e-3,"f":0.000001,"g":12345678901234567}',
        ',"h":-,"i":1}',
        ',"j":1.}',
        ',"k":1e}',
      ]),
    );
  else if (r < 0.055) text = text.replace(/}$/, ',"__proto__":"p"}');
  else if (r < 0.06) text = text.replace(/}$/, ',"bad":01}');
  else if (r < 0.065)
    text = text.replace(/}$/, ',"ctl":"a\u0001b"}'); // raw control character: not JSON
  else if (r < 0.07) text = text.replace(/}$/, ',"lone":"a\ud800b"}');
  else if (r < 0.075)
    text = text.slice(0, Math.floor(rnd() * text.length)); // truncated
  else if (r < 0.08)
    text = pick([
      'null',
      '42',
      '"s"',
      '[]',
      '[{"a":1}]',
      '{}',
      ' {"level":30}',
      '{"level":30} ',
      '{"level":30,}',
      '{"level":30,"time":1}x',
    ]);
  return text;
}

interface Pair {
  raw: QueuedEntry[];
  full: QueuedEntry[];
  taken: number;
  lines: string[];
}

/** Feeds each line to the raw path of one shipper; what it took also goes through the full path of another. */
async function compare(lines: string[], options: Partial<ShipperOptions> = {}): Promise<Pair> {
  const raw: QueuedEntry[] = [];
  const full: QueuedEntry[] = [];
  const common = { spoolDir: tempDir(), exitHooks: false, validate: false, ...options } as const;
  const a = buildShipper({ ...common, sink: captureSink(raw) });
  const b = buildShipper({ ...common, spoolDir: tempDir(), sink: captureSink(full), mapRecord: referenceMapRecord });
  expect(a.fastLine).toBeDefined();
  expect(b.fastLine).toBeUndefined();
  const taken: string[] = [];
  for (const line of lines) {
    if (a.fastLine?.(line)) {
      taken.push(line);
      b.shipper.write(JSON.parse(line) as Record<string, unknown>);
    }
  }
  await a.shipper.close();
  await b.shipper.close();
  return { raw, full, taken: taken.length, lines: taken };
}

function withoutId(entry: QueuedEntry): string {
  expect(entry.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(entry.line.split(`"id":"${entry.id}"`).length).toBe(2);
  return entry.line.replace(`"id":"${entry.id}"`, '"id":"(id)"') + ' ' + entry.dataset;
}

describe('pino raw-line path', () => {
  it('queues byte for byte what the full path queues for every line it takes, over many random lines', async () => {
    const rnd = lcg(2026);
    const lines = Array.from({ length: 30_000 }, (_, i) => randomLine(rnd, i));
    const { raw, full, taken, lines: takenLines } = await compare(lines);
    expect(raw.length).toBe(taken);
    expect(full.length).toBe(taken);
    for (let i = 0; i < taken; i++) {
      const ours = raw[i] as QueuedEntry;
      const ref = full[i] as QueuedEntry;
      if (withoutId(ours) !== withoutId(ref))
        expect({ line: takenLines[i], ours: ours.line }).toEqual({ line: takenLines[i], ours: ref.line });
    }
    // The mix is mostly lines the raw path must leave alone; enough plain ones are taken to compare (≈ 8 %).
    expect(taken).toBeGreaterThan(lines.length * 0.05);
    expect(taken).toBeLessThan(lines.length * 0.5);
  });

  it('takes the plain pino line and leaves every redaction trigger, error, escape and odd shape to the full path', async () => {
    const base =
      '{"level":30,"time":1764187200000,"pid":7,"hostname":"box","orderId":"ord_1","amount":12.5,"userId":"u_1","msg":"order placed"}';
    const take = [
      base,
      base.replace(',"msg":"order placed"', ''),
      base.replace('"order placed"', '""'),
      base.replace('"level":30', '"level":35'),
      base.replace('"time":1764187200000', '"time":"2026-11-26T20:00:00.000Z"'), // pino.stdTimeFunctions.isoTime
    ];
    const leave = [
      base.replace('"orderId"', '"password"'), // sensitive key
      base.replace('"orderId"', '"apiKey"'),
      base.replace('"ord_1"', '"4111 1111 1111 1111"'), // card-like value
      base.replace('12.5', '4111111111111111'), // card-like number
      base.replace('"order placed"', '"paid with 4242424242424242"'), // card in the message
      base.replace('"order placed"', '"say \\"hi\\""'), // escapes
      base.replace('"level":30', '"level":50'), // error level
      base.replace('"ord_1"', '{"id":1}'), // nested
      base.replace('"orderId"', '"err"'),
      base.replace('"orderId"', '"event"'),
      base.replace('"orderId"', '"7"'), // index-like key
      base.replace('"time":1764187200000', '"time":"not a date"'),
      base.replace('"time":1764187200000,', ''),
      base.replace('"level":30,', ''),
      base.replace('"userId":"u_1"', '"orderId":"again"'), // duplicate key
      base.replace('":', '": '),
      base.slice(0, -1),
    ];
    const { taken } = await compare(take);
    expect(taken).toBe(take.length);
    const left = await compare(leave);
    expect(left.taken).toBe(0);
    // With redaction off, a secret-looking key or a card number is data like any other: the raw path takes it.
    const unredacted = await compare([leave[0] as string, leave[2] as string, leave[4] as string], { redact: false });
    expect(unredacted.taken).toBe(3);
    // Extra redaction keys are honoured; redaction `paths` turn the raw path off.
    expect((await compare([base], { redact: { keys: ['userId'] } })).taken).toBe(0);
    expect(
      buildShipper({
        sink: captureSink([]),
        validate: false,
        exitHooks: false,
        spoolDir: tempDir(),
        redact: { paths: ['labels.orderId'] },
      }).fastLine,
    ).toBeUndefined();
    expect(
      buildShipper({
        sink: captureSink([]),
        validate: false,
        exitHooks: false,
        spoolDir: tempDir(),
        redact: { keys: ['message'] },
      }).fastLine,
    ).toBeUndefined();
    expect(buildShipper({ sink: captureSink([]), exitHooks: false, spoolDir: tempDir() }).fastLine).toBeUndefined(); // validates here
  });

  it('matches the full path with redaction off too', async () => {
    const rnd = lcg(99);
    const lines = Array.from({ length: 10_000 }, (_, i) => randomLine(rnd, i));
    const { raw, full, taken } = await compare(lines, { redact: false });
    expect(taken).toBeGreaterThan(1000);
    expect(raw.map(withoutId)).toEqual(full.map(withoutId));
  });
});
