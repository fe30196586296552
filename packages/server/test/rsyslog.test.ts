import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestServer, type TestServer } from './helpers.js';

// A real rsyslogd (Debian packages rsyslog + rsyslog-elasticsearch; .ci/run installs them) with a temp config:
// syslog lines in over TCP, out through omelasticsearch in bulk mode to the Shoplog server, with Basic auth.
const RSYSLOGD = process.env.RSYSLOGD_PATH ?? '/usr/sbin/rsyslogd';
const MODULE_DIRS = ['/usr/lib/x86_64-linux-gnu/rsyslog', '/usr/lib/aarch64-linux-gnu/rsyslog', '/usr/lib/rsyslog'];
const moduleDir = MODULE_DIRS.find((dir) => existsSync(join(dir, 'omelasticsearch.so')));
const available = existsSync(RSYSLOGD) && moduleDir !== undefined;
if (!available)
  console.warn(
    `rsyslog test skipped: ${RSYSLOGD} or omelasticsearch.so not found (apt-get install rsyslog rsyslog-elasticsearch)`,
  );

/** The config of the README's rsyslog section, with test paths and ports. */
function config(dir: string, esPort: number, key: string): string {
  return `
global(workDirectory="${dir}" processInternalMessages="on")
module(load="imtcp")
input(type="imtcp" port="0" listenPortFileName="${join(dir, 'tcp-port')}" ruleset="to-shoplog")
module(load="omelasticsearch")
template(name="shoplog-json" type="list" option.jsonf="on") {
  property(outname="@timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
  property(outname="level" name="syslogseverity-text" format="jsonf")
  property(outname="service" name="programname" format="jsonf")
  property(outname="host" name="hostname" format="jsonf")
}
ruleset(name="to-shoplog") {
  action(type="omelasticsearch" server="127.0.0.1" serverport="${esPort}" usehttps="off"
         uid="rsyslog" pwd="${key}" searchIndex="logs-shoplog.log-default" template="shoplog-json"
         bulkmode="on" maxbytes="100k" errorFile="${join(dir, 'es-errors.json')}"
         queue.type="linkedlist" queue.dequeueBatchSize="200" action.resumeRetryCount="-1")
}
`;
}

describe.skipIf(!available)('rsyslog omelasticsearch (bulk mode)', () => {
  let t: TestServer;
  let dir: string;
  let rsyslogd: ChildProcess | undefined;
  beforeAll(async () => {
    t = await startTestServer({ ingestPort: -1 });
    dir = mkdtempSync(join(tmpdir(), 'shoplog-rsyslog-'));
    const conf = join(dir, 'rsyslog.conf');
    writeFileSync(conf, config(dir, Number(new URL(t.url).port), t.keys.ingest));
    rsyslogd = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid'), '-M', moduleDir ?? ''], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await eventually(
      async () =>
        existsSync(join(dir, 'tcp-port')) && readFileSync(join(dir, 'tcp-port'), 'utf8').trim() !== ''
          ? true
          : undefined,
      15_000,
    );
  });
  afterAll(async () => {
    if (rsyslogd && rsyslogd.exitCode === null) {
      const exited = new Promise((resolve) => rsyslogd?.once('exit', resolve));
      rsyslogd.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  it('stores every syslog line once, severities mapped, through Basic auth', async () => {
    const N = 400;
    const port = Number(readFileSync(join(dir, 'tcp-port'), 'utf8').trim());
    const now = new Date();
    const stamp = now.toISOString();
    // RFC 5424 lines, LF-framed; every tenth at severity 3 (err).
    const lines = Array.from(
      { length: N },
      (_, i) => `<${i % 10 === 0 ? 11 : 14}>1 ${stamp} shop-host shopapp 4242 - - order ${i} shipped\n`,
    );
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(lines.join('')));
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    await eventually(async () => {
      await t.server.stores.logs.refresh();
      return (await t.server.stores.logs.count({ services: ['shopapp'] })) >= N ? true : undefined;
    }, 30_000);
    // Once counted, everything acked by then: refresh again so the page read below sees it too (two indexers).
    await t.server.stores.logs.refresh();
    const events = (await t.server.stores.logs.recent({ limit: N + 50 })).filter((e) => e.service?.name === 'shopapp');
    expect(events).toHaveLength(N);
    const numbers = events.map((e) => Number(/order (\d+) shipped/.exec(e.message ?? '')?.[1])).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: N }, (_, i) => i));
    const err = events.find((e) => e.message === 'order 10 shipped');
    expect(err).toMatchObject({
      event: { dataset: 'shoplog.log' },
      log: { level: 'error' },
      labels: { host: 'shop-host' },
    });
    expect(events.find((e) => e.message === 'order 11 shipped')?.log.level).toBe('info');
    expect(existsSync(join(dir, 'es-errors.json')) ? readFileSync(join(dir, 'es-errors.json'), 'utf8') : '').toBe('');
  });
});
