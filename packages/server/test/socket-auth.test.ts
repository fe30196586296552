import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteMetaStore, loadConfig } from '../src/index.js';
import { ingestAuthRequired } from '../src/config.js';
import { createLineAuth } from '../src/ingest/line-auth.js';
import { createApiKey } from '../src/http/admin-routes.js';
import { eventually, startTestServer, txEvent, type TestServer } from './helpers.js';

/** Sends `text` on a new TCP connection, half-closes it, and resolves with what the server answered before closing. */
function tcp(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

function udp(port: number, text: string): Promise<void> {
  const socket = createSocket('udp4');
  return new Promise<void>((resolve, reject) =>
    socket.send(text, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
  ).finally(() => socket.close());
}

const line = (event: object): string => `${JSON.stringify(event)}\n`;

describe('the TCP/UDP ingest listener', () => {
  it('listens on loopback unless opened explicitly, and then needs a key unless told otherwise', () => {
    // The Docker image opens HTTP with SHOPLOG_HOST=0.0.0.0: that must not open the unauthenticated lines port too.
    const docker = loadConfig({ SHOPLOG_HOST: '0.0.0.0' });
    expect(docker.ingestHost).toBe('127.0.0.1');
    expect(ingestAuthRequired(docker)).toBe(false);
    const opened = loadConfig({ SHOPLOG_HOST: '0.0.0.0', SHOPLOG_INGEST_HOST: '0.0.0.0' });
    expect(ingestAuthRequired(opened)).toBe(true);
    expect(ingestAuthRequired(loadConfig({ SHOPLOG_INGEST_HOST: '::' }))).toBe(true);
    expect(ingestAuthRequired(loadConfig({ SHOPLOG_INGEST_HOST: '0.0.0.0', SHOPLOG_INGEST_AUTH: 'off' }))).toBe(false);
    expect(ingestAuthRequired(loadConfig({ SHOPLOG_INGEST_AUTH: 'required' }))).toBe(true);
    expect(() => loadConfig({ SHOPLOG_INGEST_AUTH: 'yes' })).toThrow(/ingestAuth \(SHOPLOG_INGEST_AUTH\)/);
  });
});

describe('TCP/UDP line authentication, required', () => {
  let t: TestServer;
  let port = 0;
  beforeAll(async () => {
    t = await startTestServer({ ingestAuth: 'required' });
    port = t.server.ingestPort ?? 0;
  });
  afterAll(async () => {
    await t.close();
  });
  const stored = async (id: string) =>
    (await t.call(`/api/logs/${id}`, { key: t.keys.read })).status === 200 || undefined;
  /** Sends an authenticated marker and waits until it is stored: every earlier line has been dealt with by then. */
  const settle = async () => {
    const marker = txEvent({ user: 'marker' });
    expect(await tcp(port, `AUTH ${t.keys.ingest}\n${line(marker)}`)).toBe('');
    await eventually(() => stored(marker.event.id));
    await t.server.stores.logs.refresh();
  };

  it('stores the lines after "AUTH <ingest key>" on TCP, the last one ended by the close', async () => {
    const events = [txEvent({ user: 'tcp-a' }), txEvent({ user: 'tcp-b' })];
    // Split across writes as a stream may arrive; the last line has no newline (ended by the close).
    expect(await tcp(port, `AUTH ${t.keys.ingest}\n${line(events[0]!)}${JSON.stringify(events[1])}`)).toBe('');
    await eventually(
      async () => ((await stored(events[0]!.event.id)) && (await stored(events[1]!.event.id))) || undefined,
    );
    await t.server.stores.logs.refresh();
    expect(await t.server.stores.logs.count({ userIds: ['tcp-a', 'tcp-b'] })).toBe(2);
    // The admin scope may ingest too.
    const admin = txEvent({ user: 'tcp-admin' });
    expect(await tcp(port, `AUTH ${t.keys.admin}\r\n${line(admin)}`)).toBe('');
    await eventually(() => stored(admin.event.id));
  });

  it('answers ERR and closes a TCP connection without a key, with a bad key or a read key: nothing is stored', async () => {
    const cases: [string, RegExp][] = [
      ['', /^ERR authentication required/],
      ['AUTH slk_not-a-key-000000000000000000\n', /^ERR invalid API key/],
      [`AUTH ${t.keys.read}\n`, /^ERR the API key's scope \(read\) cannot ingest/],
    ];
    const refused = cases.map(() => txEvent({ user: 'refused' }));
    for (const [i, [prefix, answer]] of cases.entries()) {
      expect(await tcp(port, `${prefix}${line(refused[i]!)}${line(txEvent({ user: 'refused' }))}`)).toMatch(answer);
    }
    await settle();
    expect(await t.server.stores.logs.count({ userIds: ['refused'] })).toBe(0);
  });

  it('takes a UDP datagram that starts with an AUTH line and drops one that does not', async () => {
    const ok = txEvent({ user: 'udp-ok' });
    const dropped = [txEvent({ user: 'udp-dropped' }), txEvent({ user: 'udp-dropped' })];
    await udp(port, line(dropped[0]!));
    await udp(port, `AUTH ${t.keys.read}\n${line(dropped[1]!)}`);
    await udp(port, `AUTH ${t.keys.ingest}\n${line(ok)}`);
    await eventually(() => stored(ok.event.id));
    await settle();
    expect(await t.server.stores.logs.count({ userIds: ['udp-dropped'] })).toBe(0);
  });
});

describe('TCP/UDP line authentication, off (loopback default)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.close();
  });

  it('takes lines without a key, still checks an AUTH line that is sent, and never stores it', async () => {
    const port = t.server.ingestPort ?? 0;
    const plain = txEvent({ user: 'plain' });
    const keyed = txEvent({ user: 'keyed' });
    expect(await tcp(port, line(plain))).toBe('');
    expect(await tcp(port, `AUTH ${t.keys.ingest}\n${line(keyed)}`)).toBe('');
    expect(await tcp(port, `AUTH slk_wrong-000000000000000000000\n${line(txEvent({ user: 'plain' }))}`)).toMatch(
      /^ERR invalid API key/,
    );
    for (const event of [plain, keyed])
      await eventually(async () =>
        (await t.call(`/api/logs/${event.event.id}`, { key: t.keys.read })).status === 200 ? true : undefined,
      );
    await t.server.stores.logs.refresh();
    expect(await t.server.stores.logs.count({ userIds: ['plain'] })).toBe(1);
  });

  it('stores the last line of a TCP stream that the close ends, without a newline', async () => {
    const last = txEvent({ user: 'unterminated' });
    expect(await tcp(t.server.ingestPort ?? 0, `${line(txEvent({ user: 'terminated' }))}${JSON.stringify(last)}`)).toBe(
      '',
    );
    await eventually(async () =>
      (await t.call(`/api/logs/${last.event.id}`, { key: t.keys.read })).status === 200 ? true : undefined,
    );
  });
});

describe('createLineAuth', () => {
  it('reports refusals at most once a minute with their count, and looks a key up once per 30 s', async () => {
    const meta = createSqliteMetaStore({ path: ':memory:' });
    const { key } = await createApiKey(meta, 'lines', 'ingest');
    let lookups = 0;
    let clock = 1_000_000;
    const reports: [string, number][] = [];
    const auth = createLineAuth({
      meta: {
        findApiKey: (hash) => (lookups++, meta.findApiKey(hash)),
        touchApiKey: (id, at) => meta.touchApiKey(id, at),
      },
      required: true,
      now: () => clock,
      onRefused: (reason, count) => reports.push([reason, count]),
    });
    for (let i = 0; i < 3; i++)
      expect(await auth.gate().pass(['{}'])).toEqual({
        lines: [],
        refused: expect.stringMatching(/^authentication required/),
      });
    expect(reports).toEqual([[expect.stringMatching(/^authentication required/), 1]]);
    clock += 60_000;
    await auth.gate().pass(['AUTH nope', '{}']);
    expect(reports.map(([, n]) => n)).toEqual([1, 3]);
    const gate = auth.gate();
    expect(await gate.pass([`AUTH ${key}`, '{"a":1}', ''])).toEqual({ lines: ['{"a":1}', ''] });
    expect(await gate.pass(['{"b":2}'])).toEqual({ lines: ['{"b":2}'] });
    expect(await auth.gate().pass([`AUTH ${key}`, '{"c":3}'])).toEqual({ lines: ['{"c":3}'] });
    expect(lookups).toBe(2); // 'nope' once, the good key once (cached for the second gate)
    clock += 30_001;
    await auth.gate().pass([`AUTH ${key}`]);
    expect(lookups).toBe(3);
    await meta.close();
  });
});
