import { connect } from 'node:net';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createRandom, createRedactor, type ShoplogEvent } from '@shoplog/core';
import { shoplog, shoplogErrorHandler, type ShoplogMiddlewareOptions } from '../src/index.js';
import { EXPRESS_VERSIONS, allValid } from './harness.js';

// The engine path writes the performance event's JSON directly (fast-line.ts). These tests run the same requests
// through two apps, one whose sink has `enqueueLine` (the direct line) and one with only `enqueue` (the event
// object), and require the same events, field for field, apart from the values minted per run.

// Seeded (core's generator): the same cases on every run, so a failure can be replayed.
const prng = (seed: number): (() => number) => {
  const random = createRandom(seed);
  return () => random.next();
};

const PIECES = [
  'a',
  'shop',
  'é',
  'ü€',
  '"',
  '\\',
  "'",
  '<b>',
  '😀',
  '\u0001',
  '\u001f',
  '\t',
  '\n',
  '\u007f',
  '\u2028',
  '\ud800',
  '\udc00',
  '\udbff\udfff',
  '%22',
  '%5C',
  '%E2%82%AC',
  'x y',
  '4111 1111 1111 1111',
  '4242424242424242',
  ':',
  '/',
  '//',
  '.',
  '..',
];
const QUERIES = [
  'token=abc123',
  'password=hunter2',
  'card=4242424242424242',
  'q=%22quoted%22',
  'q="raw"',
  'next=https://a.example/?token=1',
  'a=%5C&b=\\',
  'api_key=k&x=1',
  'note=pay 4111111111111111 now',
  'e=é😀',
  'lone=\ud800',
  '=',
  'flag',
  'sig=\u0000',
];
const STATUSES = [
  200, 201, 204, 206, 301, 302, 304, 400, 401, 403, 404, 409, 418, 422, 429, 499, 500, 502, 503, 504, 599, 600, 999,
];

// A query as a client puts it on the wire: anything outside printable ASCII percent-encoded (a lone surrogate as
// the bytes a lenient encoder writes for it).
function wire(query: string): string {
  return query.replace(/[^\x21-\x7e]/g, (c) => (c >= '\ud800' && c <= '\udfff' ? '%ED%A0%80' : encodeURIComponent(c)));
}

interface Case {
  /** Raw bytes of the request. */
  head: Buffer;
  /** Values set on the request before shoplog() sees it (what no HTTP parser lets through: surrogates, controls). */
  inject?: { url: string; ua?: string | undefined };
  /** Destroy the connection at the first byte of the response (an aborted request). */
  abortOnData?: boolean;
}

function generate(count: number, seed: number): { cases: Case[]; injected: Case['inject'][] } {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const text = (n: number) => Array.from({ length: n }, () => pick(PIECES)).join('');
  const injected: Case['inject'][] = [];
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const kind = Math.floor(rnd() * 10);
    const status = pick(STATUSES);
    const paths = [
      `/s/${status}`,
      `/shops/${i}/items/${pick(['x', 'é', '%22'])}`,
      '/throw',
      '/throw-client',
      '/user',
      '/partial',
      `/nowhere/${i}`,
      `/s/${status}?${wire(pick(QUERIES))}`,
    ];
    // A request that times out (the middleware answers 503) costs the timeout: one in 50.
    let path = i % 50 === 25 ? '/silent' : pick(paths);
    const method =
      path === '/partial' ? 'GET' : kind === 0 ? 'POST' : kind === 1 ? 'HEAD' : pick(['GET', 'GET', 'DELETE', 'PUT']);
    const headers: string[] = [`Host: 127.0.0.1`, 'Connection: close'];
    if (rnd() < 0.8) headers.push(`X-Request-Id: case-${seed}-${i}`);
    if (rnd() < 0.3)
      headers.push(`traceparent: 00-${'4bf92f3577b34da6a3ce929d0e0e4736'}-${'00f067aa0ba902b7'}-0${i % 2}`);
    if (rnd() < 0.1) headers.push('traceparent: 00-zz-bad');
    // User agents as a parser passes them (latin1 bytes, quotes, backslashes), or none.
    if (rnd() < 0.7)
      headers.push(
        `User-Agent: ${pick(['curl/8.0', 'Mozilla/5.0 "quoted" \\back\\', 'caf\u00e9 \u00ff', 'x'.repeat(2100), ' padded ', ''])}`,
      );
    if (rnd() < 0.2) headers.push(`X-User: ${pick(['u-1', 'ü"ser\\', '42'])}`);
    if (rnd() < 0.3 && path.indexOf('?') === -1) path += `?${wire(pick(QUERIES))}`;
    let body = '';
    if (method === 'POST' || method === 'PUT') {
      body = JSON.stringify({ n: i, card: '4242424242424242' });
      headers.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
    }
    if (kind === 2) {
      // Values no HTTP parser lets through: injected by a middleware in front of shoplog().
      headers.push(`X-Inject: ${injected.length}`);
      const q = rnd() < 0.6 ? `?${pick(QUERIES)}&${pick(QUERIES)}` : '';
      const origin = rnd() < 0.1 ? pick(['http://user:pass@shop.example', 'https://h', 'x-y://a"b']) : '';
      injected.push({
        url: `${origin}/${text(1 + Math.floor(rnd() * 6))}${q}`,
        ua: rnd() < 0.8 ? text(1 + Math.floor(rnd() * 8)) : undefined,
      });
    }
    // Raw UTF-8 and quotes straight in the request target, as some clients send them.
    if (kind === 3) path = `/shops/${i}/items/${pick(['é', '"q"', 'a\\b', '€'])}`;
    const head = Buffer.from(
      `${method} ${path} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n${body}`,
      kind === 3 ? 'utf8' : 'latin1',
    );
    cases.push({ head, abortOnData: path.startsWith('/partial') });
  }
  return { cases, injected };
}

function rawRequest(port: number, c: Case): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(c.head));
    // A request the server leaves open would hang the run: name it instead.
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error(`no response to ${c.head.toString('latin1')}`));
    });
    socket.on('data', () => {
      if (c.abortOnData) socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
  });
}

type Express = (typeof EXPRESS_VERSIONS)[number][1];

interface Side {
  server: Server;
  port: number;
  events: unknown[];
  seen: number;
  done: number;
  /** Events that came as ready lines. */
  lines: number;
}

async function startApp(
  express: Express,
  options: Partial<ShoplogMiddlewareOptions>,
  lines: boolean,
  injected: Case['inject'][],
): Promise<Side> {
  const events: unknown[] = [];
  const side: Side = { server: undefined as unknown as Server, port: 0, events, seen: 0, done: 0, lines: 0 };
  // Both sinks are shaped like the transport's engine; only one can take ready lines.
  const exporter = lines
    ? {
        enqueue: (event: ShoplogEvent) => events.push(JSON.parse(JSON.stringify(event))) > 0,
        enqueueLine: (line: string, id: string, dataset: string) => {
          const parsed = JSON.parse(line) as ShoplogEvent;
          // The metadata handed with the line must be the line's own.
          expect([parsed.event.id, parsed.event.dataset]).toEqual([id, dataset]);
          side.lines++;
          return events.push(parsed) > 0;
        },
      }
    : { enqueue: (event: ShoplogEvent) => events.push(JSON.parse(JSON.stringify(event))) > 0 };
  const app = express();
  app.use((req, _res, next) => {
    const n = req.headers['x-inject'];
    const inject = typeof n === 'string' ? injected[Number(n)] : undefined;
    if (inject) {
      req.originalUrl = inject.url;
      if (inject.ua === undefined) delete req.headers['user-agent'];
      else req.headers['user-agent'] = inject.ua;
    }
    next();
  });
  app.use(express.json());
  app.use(shoplog({ exporter, timeoutMs: 200, timeoutStatus: 503, ...options }));
  app.use((req, _res, next) => {
    const user = req.headers['x-user'];
    if (typeof user === 'string' && req.method !== 'DELETE') req.shoplog?.setUser(user);
    next();
  });
  app.all('/s/:code', (req, res) => res.status(Number(req.params.code)).send('body'));
  const router = express.Router();
  router.all('/:shop/items/:id', (req, res) => res.json({ shop: req.params.shop, id: req.params.id }));
  app.use('/shops', router);
  app.all('/throw', () => {
    throw new Error('card 4242424242424242 "declined" \\ é');
  });
  app.all('/throw-client', () => {
    throw Object.assign(new Error('bad input'), { status: 422 });
  });
  app.all('/user', (req, res) => {
    req.shoplog?.setUser('ü"ser\\1');
    res.send('ok');
  });
  app.all('/partial', (_req, res) => {
    res.write('partial');
  });
  app.all('/silent', () => undefined);
  app.use(shoplogErrorHandler());
  app.use(
    (
      _err: unknown,
      _req: unknown,
      res: { headersSent: boolean; status(n: number): { end(): void } },
      _next: unknown,
    ) => {
      if (!res.headersSent) res.status(500).end();
    },
  );
  const server = createServer(app as never);
  side.server = server;
  // Counts requests seen and finished: a response is done a turn after its 'close' (shoplog()'s listener has run).
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    side.seen++;
    res.on('close', () => setImmediate(() => side.done++));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  side.port = (server.address() as AddressInfo).port;
  return side;
}

// The values minted per request or per run: present and well-formed on both sides, then set aside.
function normalise(event: Record<string, unknown>): Record<string, unknown> {
  const e = structuredClone(event) as Record<string, Record<string, unknown>>;
  expect(e['@timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect(e.event?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(e.trace?.id).toMatch(/^[0-9a-f]{32}$/);
  expect(e.span?.id).toMatch(/^[0-9a-f]{16}$/);
  const request = (e.http?.request ?? {}) as Record<string, unknown>;
  expect(request.id).toMatch(/^[A-Za-z0-9._:@/+=-]{1,128}$/);
  if (e.event?.dataset === 'shoplog.performance')
    expect(Number.isInteger(e.event.duration) && (e.event.duration as number) >= 0).toBe(true);
  e['@timestamp'] = { '': 'ts' };
  (e.event as Record<string, unknown>).id = 'id';
  if (e.event?.duration !== undefined) (e.event as Record<string, unknown>).duration = 0;
  if (String(e.trace?.id) !== '4bf92f3577b34da6a3ce929d0e0e4736') (e.trace as Record<string, unknown>).id = 'trace';
  (e.span as Record<string, unknown>).id = 'span';
  if (!String(request.id).startsWith('case-')) request.id = 'request';
  return e;
}

const OPTION_SETS: [string, Partial<ShoplogMiddlewareOptions>][] = [
  ['defaults', {}],
  [
    'service, levels, no 4xx error events',
    {
      service: { name: 'shop "eu"', version: '1.2.3', environment: 'prod\\1' },
      levels: { '2xx': 'debug', '3xx': 'trace', '4xx': 'error', '5xx': 'fatal' },
      clientErrors: false,
    },
  ],
  [
    'userId callback, custom redactor, no request id header',
    {
      userId: (req) => (req.method === 'DELETE' ? (req.headers['x-user'] as string | undefined) : undefined),
      redactor: createRedactor({ keys: ['q', 'note'] }),
      requestIdHeader: false,
    },
  ],
  ['sampleRate 0 (errors only)', { sampleRate: 0, service: { name: 'solo' } }],
];

describe.each(EXPRESS_VERSIONS)('the performance event written as a line (%s)', (_name, express) => {
  it.each(OPTION_SETS)(
    'gives the events of the object path for generated requests: %s',
    async (_label, options) => {
      const { cases, injected } = generate(500, 7 + OPTION_SETS.findIndex(([l]) => l === _label));
      const sides = [
        await startApp(express, options, true, injected),
        await startApp(express, options, false, injected),
      ] as const;
      try {
        let compared = 0;
        for (const c of cases) {
          const before = sides.map((s) => s.events.length);
          await Promise.all(sides.map((s) => rawRequest(s.port, c)));
          await expect
            .poll(() => sides.every((s) => s.seen === s.done && s.seen === sides[0].seen), { interval: 1 })
            .toBe(true);
          const [fast, slow] = sides.map((s, i) => s.events.slice(before[i]) as Record<string, unknown>[]);
          expect(fast?.length, c.head.toString('latin1')).toBe(slow?.length);
          const [fastEvents, slowEvents] = [fast?.map(normalise), slow?.map(normalise)];
          expect(fastEvents, c.head.toString('latin1')).toEqual(slowEvents);
          // Byte for byte, key order included: the line is JSON.stringify of the object path's event.
          expect(
            fastEvents?.map((e) => JSON.stringify(e)),
            c.head.toString('latin1'),
          ).toEqual(slowEvents?.map((e) => JSON.stringify(e)));
          compared += fast?.length ?? 0;
        }
        // The generator reaches every status class, the timeout, the aborted request and the error events.
        const all = sides[0].events as ShoplogEvent[];
        allValid(all.filter((e) => (e.http?.response?.status_code ?? 0) < 600));
        const perf = all.filter((e) => e.event.dataset === 'shoplog.performance') as unknown as {
          http: { response: { status_code?: number } };
          event: { outcome: string };
        }[];
        const classes = new Set(perf.map((e) => Math.floor((e.http.response.status_code ?? 0) / 100)));
        expect(compared).toBeGreaterThan(300);
        // The first app took the line path for every performance event, the second never did.
        expect([sides[0].lines, sides[1].lines]).toEqual([perf.length, 0]);
        for (const cls of options.sampleRate === 0 ? [4, 5, 6, 9] : [2, 3, 4, 5, 6, 9]) expect(classes).toContain(cls);
        expect(perf.some((e) => e.event.outcome === 'unknown')).toBe(true);
        const errorKinds = new Set(
          all.map((e) => (e as { shop?: { error?: { kind?: string } } }).shop?.error?.kind).filter(Boolean),
        );
        expect([...errorKinds].sort()).toEqual(['aborted', 'exception', 'http', 'timeout']);
      } finally {
        for (const s of sides) s.server.closeAllConnections();
        await Promise.all(sides.map((s) => new Promise((resolve) => s.server.close(resolve))));
      }
    },
    120_000,
  );
});
