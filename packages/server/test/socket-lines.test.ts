import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteLogStore, type LogStore, type SocketIngestStats } from '../src/index.js';
import { eventually, startTestServer, txEvent, type TestServer } from './helpers.js';

// The TCP/UDP JSON-lines port has no reply channel: a bad line must cost itself alone, and what happened to every
// line and datagram is counted in the health route.
let t: TestServer | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await t?.close();
  t = undefined;
});

const deepLine = (levels: number): string =>
  JSON.stringify({ ...txEvent(), custom: 'RAW' }).replace('"RAW"', `${'['.repeat(levels)}${']'.repeat(levels)}`);

async function ingestStats(server: TestServer): Promise<SocketIngestStats> {
  return ((await server.read<{ ingest: SocketIngestStats }>('/api/dashboard/health')) as { ingest: SocketIngestStats })
    .ingest;
}

/** Writes `chunks` to one TCP connection in order, then ends it. */
function sendTcp(port: number, chunks: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      for (const chunk of chunks) socket.write(chunk);
      socket.end();
    });
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

/** Transactions of `user` stored and searchable (the count reads the index, which follows the commits). */
async function storedCount(server: TestServer, user: string): Promise<number> {
  await server.server.stores.logs.refresh();
  return server.server.stores.logs.count({ userIds: [user], kinds: ['transaction'] });
}

describe('TCP JSON lines', () => {
  it('a poison line (nested 6 000 deep, not JSON, over the line length) costs itself; every later line is stored', async () => {
    t = await startTestServer();
    const server = t;
    const lines = Array.from({ length: 100 }, () => JSON.stringify(txEvent({ user: 'tcp-after-poison' })));
    const chunks = [
      `${lines.slice(0, 10).join('\n')}\n${deepLine(6000)}\n${lines.slice(10, 40).join('\n')}\n`,
      '{"not json\n',
      // A line of 2 Mi characters over several writes: held up to the limit, then skipped to its newline.
      `{"message":"${'x'.repeat(1024 * 1024)}`,
      `${'x'.repeat(1024 * 1024)}"}\n${lines.slice(40).join('\n')}\n`,
    ];
    await sendTcp(server.server.ingestPort ?? 0, chunks);
    await eventually(async () => ((await storedCount(server, 'tcp-after-poison')) === 100 ? true : undefined));
    const stats = await eventually(async () => {
      const s = await ingestStats(server);
      return s.tcp.lines === 103 ? s : undefined;
    });
    expect(stats.tcp).toMatchObject({ connections: 1, lines: 103, stored: 100, duplicates: 0, rejected: 3, failed: 0 });
    expect(stats.tcp.last_rejection).toMatch(/longer than 1048576 characters/);
  });

  it('a batch the store fails to commit is counted and reported, and the next batches of the connection still run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-tcp-fail-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = createSqliteLogStore({ path: join(dir, 'events.db') });
    let failNext = true;
    const logs = Object.assign(Object.create(store) as LogStore, {
      appendBatch: (...args: Parameters<LogStore['appendBatch']>) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error('disk full (injected)'));
        }
        return store.appendBatch(...args);
      },
    });
    t = await startTestServer({ stores: { logs } });
    const server = t;
    const socket = connect(server.server.ingestPort ?? 0, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`${JSON.stringify(txEvent({ user: 'tcp-lost' }))}\n`);
    await eventually(async () => ((await ingestStats(server)).tcp.failed === 1 ? true : undefined));
    socket.end(`${JSON.stringify(txEvent({ user: 'tcp-kept' }))}\n`);
    await eventually(async () => ((await storedCount(server, 'tcp-kept')) === 1 ? true : undefined));
    expect((await ingestStats(server)).tcp).toMatchObject({ lines: 2, stored: 1, failed: 1 });
  });
});

describe('UDP JSON lines', () => {
  it('accounts for every datagram of a burst: stored, dropped here, or dropped by the kernel (counted per socket)', async () => {
    t = await startTestServer({ fraudScoring: 'off' });
    const server = t;
    const port = server.server.ingestPort ?? 0;
    const client = createSocket('udp4');
    cleanups.push(() => client.close());
    const sent = 10_000;
    const send = (line: string) =>
      new Promise<void>((resolve, reject) => client.send(line, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
    // As fast as the client can: far more than the server stores one by one.
    await Promise.all(Array.from({ length: sent }, () => send(JSON.stringify(txEvent({ user: 'udp-burst' })))));
    const stats = await eventually(async () => {
      const s = (await ingestStats(server)).udp;
      return s.datagrams + (s.kernel_drops ?? 0) === sent && s.lines + s.dropped === s.datagrams ? s : undefined;
    });
    expect(stats.stored + stats.dropped + (stats.kernel_drops ?? 0)).toBe(sent);
    expect(await storedCount(server, 'udp-burst')).toBe(stats.stored);
    // The buffer asked for (8 MiB) is granted up to the kernel's cap, well above Linux's 208 KiB default.
    expect(stats.receive_buffer_bytes).toBeGreaterThan(212_992);
  });
});

// rsyslog's omfwd, as the red-team measured (0 of 100 lines after a poison line): runs when rsyslogd is installed.
const RSYSLOGD = process.env.RSYSLOGD_PATH ?? '/usr/sbin/rsyslogd';
describe.skipIf(!existsSync(RSYSLOGD))(`rsyslog omfwd over TCP (${RSYSLOGD})`, () => {
  it('delivers the 100 lines after a poison line in the file it follows', async () => {
    t = await startTestServer();
    const server = t;
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-rsyslog-'));
    const lines = [
      deepLine(6000),
      ...Array.from({ length: 100 }, () => JSON.stringify(txEvent({ user: 'rsyslog-user' }))),
    ];
    writeFileSync(join(dir, 'in.log'), `${lines.join('\n')}\n`);
    writeFileSync(
      join(dir, 'rsyslog.conf'),
      [
        `global(workDirectory="${dir}" maxMessageSize="64k")`,
        'module(load="imfile")',
        'template(name="raw" type="string" string="%msg%\\n")',
        `ruleset(name="fwd") { action(type="omfwd" target="127.0.0.1" port="${server.server.ingestPort ?? 0}" protocol="tcp" template="raw") }`,
        `input(type="imfile" File="${join(dir, 'in.log')}" Tag="shop" ruleset="fwd" freshStartTail="off")`,
      ].join('\n'),
    );
    const rsyslog: ChildProcess = spawn(
      RSYSLOGD,
      ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslog.pid')],
      { stdio: 'ignore' },
    );
    cleanups.push(() => {
      rsyslog.kill();
      rmSync(dir, { recursive: true, force: true });
    });
    await eventually(async () => ((await storedCount(server, 'rsyslog-user')) === 100 ? true : undefined), 20_000);
    expect((await ingestStats(server)).tcp).toMatchObject({ stored: 100, rejected: 1 });
  });
});
