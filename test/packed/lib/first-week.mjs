// What a shop team meets in its first week (issue 15), replayed with the packed packages against the real server
// from the tarball, on each Node.js major: a refused or missing key and a server that is down are said once with
// the server's own answer, misuse gets a sentence, and a rolling deploy's SIGTERM loses nothing. Each check resolves
// with nothing when it holds and throws an Error saying what is wrong otherwise.
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_KEY, freePort, runToEnd, startProcess } from './processes.mjs';
import { pathWith } from './setup.mjs';

// One engine, one event, enough failed attempts for the warning to repeat if it were not throttled; prints metrics().
const REFUSED = `import { performance } from '@shoplog/core';
import { createDeliveryEngine, createHttpSink } from '@shoplog/node-transport';

const apiKey = process.env.KEY || undefined;
const engine = createDeliveryEngine({
  sink: createHttpSink({ url: process.env.SHOPLOG_URL, ...(apiKey ? { apiKey } : {}) }),
  spoolDir: process.env.SPOOL, retryInitialDelayMs: 5, retryMaxDelayMs: 20, flushIntervalMs: 10,
});
engine.enqueue(performance({ event: { duration: 1_000_000 }, shop: { performance: { kind: 'http' } } }));
while (engine.metrics().retried < 10) await new Promise((r) => setTimeout(r, 10));
console.log(JSON.stringify(engine.metrics()));
await engine.close({ deadlineMs: 100 });
`;

// The same in CommonJS, through require (the CJS build of the tarballs), with the misuses the issue names.
const MISUSE = `const { createDeliveryEngine, createHttpSink } = require('@shoplog/node-transport');
const engine = createDeliveryEngine({ sink: createHttpSink({ url: process.env.SHOPLOG_URL, apiKey: process.env.KEY }), spoolDir: process.env.SPOOL });
const said = [];
for (const bad of [{ hello: 'world' }, 'text']) {
  try { engine.enqueue(bad); said.push('accepted'); } catch (error) { said.push(error.constructor.name + ': ' + error.message); }
}
try { createDeliveryEngine({ url: process.env.SHOPLOG_URL }); said.push('accepted'); } catch (error) { said.push(error.constructor.name + ': ' + error.message); }
console.log(JSON.stringify(said));
engine.close({ deadlineMs: 100 });
`;

// pino's worker transport (createPinoTransport) with a refused key: one line, then the app ends on its own.
const PINO_REFUSED = `import { pino } from 'pino';
import { createPinoTransport } from '@shoplog/node-transport/pino';

const logger = pino(createPinoTransport({ url: process.env.SHOPLOG_URL, apiKey: process.env.KEY, spoolDir: process.env.SPOOL, closeDeadlineMs: 500 }));
logger.info('order placed');
`;

// A shop on a rolling deploy: the middleware on the engine, pino through its plain target, winston; everything is
// logged (nothing delivered yet: the batch interval is a second), "ready" is printed, and SIGTERM follows.
const DEPLOY = `import express from 'express';
import { pino } from 'pino';
import winston from 'winston';
import { transaction } from '@shoplog/core';
import { createDeliveryEngine, createHttpSink } from '@shoplog/node-transport';
import { createWinstonTransport } from '@shoplog/node-transport/winston';
import { shoplog } from '@shoplog/express-middleware';

const N = Number(process.env.N);
const url = process.env.SHOPLOG_URL;
const apiKey = process.env.SHOPLOG_API_KEY;
const spoolDir = process.env.SPOOL;
const engine = createDeliveryEngine({ sink: createHttpSink({ url, apiKey }), spoolDir });
const logger = pino(pino.transport({ target: '@shoplog/node-transport/pino', options: { url, apiKey, spoolDir } }));
const logs = winston.createLogger({ transports: [createWinstonTransport({ url, apiKey, spoolDir })] });
const app = express().use(shoplog({ exporter: engine, service: 'deploy' }));
app.get('/ping', (req, res) => res.send('pong'));
const server = app.listen(0, '127.0.0.1', async () => {
  for (let i = 0; i < N; i++) {
    logger.info({ seq: i }, 'pino line');
    logs.info('winston line', { seq: i });
    engine.enqueue(transaction({ shop: { transaction: { id: 'tx-' + i, type: 'purchase', status: 'completed' }, amount: { value: '1.00', currency: 'EUR' } } }));
  }
  for (let i = 0; i < N; i++) await (await fetch('http://127.0.0.1:' + server.address().port + '/ping')).text();
  console.log('ready');
});
`;

const PROGRAMS = {
  'refused.mjs': REFUSED,
  'misuse.cjs': MISUSE,
  'pino-refused.mjs': PINO_REFUSED,
  'deploy.mjs': DEPLOY,
};

/** Writes the programs into the app (once); returns their folder. */
export function writeFirstWeekPrograms(app) {
  const dir = join(app, 'first-week');
  mkdirSync(dir, { recursive: true });
  for (const [name, code] of Object.entries(PROGRAMS)) writeFileSync(join(dir, name), code);
  return dir;
}

/** How many fraud events the suite's server holds (the verdicts it stores for the sales it scores). */
async function fraudVerdicts(ctx) {
  // A window that ends a day from now, to the millisecond: never the same query twice, so never a cached answer.
  const to = new Date(Date.now() + 86_400_000).toISOString();
  const res = await fetch(`${ctx.server.url}/api/search/?type=fraud&from=2000-01-01T00:00:00.000Z&to=${to}&size=1`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  if (res.status !== 200) throw new Error(`search answered ${res.status}: ${await res.text()}`);
  return (await res.json()).data.total;
}

const segments = (dir) => readdirSync(dir).filter((f) => f.startsWith('seg-'));

function envFor(ctx, node, extra) {
  const spool = mkdtempSync(join(ctx.app, 'first-week-spool-'));
  return {
    spool,
    env: { ...ctx.env, PATH: pathWith(node.node, ctx.app), SHOPLOG_URL: ctx.server.url, SPOOL: spool, ...extra },
  };
}

async function run(ctx, node, program, extra, timeoutMs = 60_000) {
  const { spool, env } = envFor(ctx, node, extra);
  const result = await runToEnd(node.node, [join(ctx.app, 'first-week', program)], { cwd: ctx.app, env, timeoutMs });
  if (result.timedOut) throw new Error(`${program} timed out\n${result.stdout}${result.stderr}`);
  return { ...result, spool };
}

const failedLines = (stderr) => stderr.split('\n').filter((l) => l.startsWith('[shoplog] delivery failed'));

/** A refused key: the one warning carries the server's status and message; metrics() says the same. */
async function refusedOnce(ctx, node, { key, status, says }) {
  const result = await run(ctx, node, 'refused.mjs', { KEY: key ?? '' });
  const failed = failedLines(result.stderr);
  const metrics = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? 'null');
  const problems = [];
  if (result.code !== 0) problems.push(`exit ${result.code}`);
  if (failed.length !== 1) problems.push(`${failed.length} "delivery failed" warnings, expected 1`);
  else if (!failed[0].includes(`${ctx.server.url}/api/logs/_bulk answered ${status}: ${says}`))
    problems.push(`the warning does not say "answered ${status}: ${says}"`);
  if (metrics?.healthy !== false || metrics?.lastError?.status !== status)
    problems.push(`metrics(): healthy ${metrics?.healthy}, lastError ${JSON.stringify(metrics?.lastError)}`);
  if (problems.length > 0) throw new Error(`${problems.join('; ')}\n${result.stdout}${result.stderr}`);
}

/** The scenarios, as `[name, async (ctx, node) => void]`, run once per Node.js major the client packages allow. */
export const FIRST_WEEK = [
  [
    'a wrong key is said once, with the server’s 401 and message; metrics() unhealthy',
    (ctx, node) =>
      refusedOnce(ctx, node, { key: 'slk_wrongwrongwrongwrongwrongwrong', status: 401, says: 'invalid API key' }),
  ],
  [
    'a read-only key is said once, with the server’s 403 and message',
    (ctx, node) =>
      refusedOnce(ctx, node, { key: ctx.server.readKey, status: 403, says: 'this route needs the ingest permission' }),
  ],
  [
    'no key is said once, with the server’s 401 and message',
    (ctx, node) => refusedOnce(ctx, node, { key: undefined, status: 401, says: 'an API key or a session is required' }),
  ],
  [
    'a server that is down at start is said once, with its URL',
    async (ctx, node) => {
      const url = `http://127.0.0.1:${await freePort()}`;
      const result = await run(ctx, node, 'refused.mjs', { KEY: ctx.server.ingestKey, SHOPLOG_URL: url });
      const failed = failedLines(result.stderr);
      if (failed.length !== 1 || !failed[0].includes(`cannot reach ${url}/api/logs/_bulk: connect ECONNREFUSED`)) {
        throw new Error(
          `expected one "cannot reach ${url}/api/logs/_bulk: connect ECONNREFUSED" warning\n${result.stderr}`,
        );
      }
    },
  ],
  [
    'misuse (CommonJS): enqueue of a non-event and createDeliveryEngine({ url }) say what is wrong',
    async (ctx, node) => {
      const result = await run(ctx, node, 'misuse.cjs', { KEY: ctx.server.ingestKey });
      const said = JSON.parse(result.stdout.trim() || '[]');
      const vague = said.filter((s) => s === 'accepted' || /Cannot read properties|undefined/.test(s));
      if (result.code !== 0 || said.length !== 3 || vague.length > 0)
        throw new Error(`exit ${result.code}: ${result.stdout}${result.stderr}`);
      if (!/createHttpSink/.test(said[2]))
        throw new Error(`createDeliveryEngine({ url }) does not name createHttpSink: ${said[2]}`);
    },
  ],
  [
    'pino’s worker transport with a refused key does not end in silence',
    async (ctx, node) => {
      const result = await run(ctx, node, 'pino-refused.mjs', { KEY: 'slk_wrongwrongwrongwrongwrongwrong' });
      if (!result.stderr.includes('answered 401: invalid API key'))
        throw new Error(`exit ${result.code}, stderr:\n${result.stderr}`);
    },
  ],
  [
    'a rolling deploy: SIGTERM right after logging, every transport of the app delivers, nothing spooled, ended by the signal',
    async (ctx, node) => {
      const N = 50;
      const { spool, env } = envFor(ctx, node, { N: String(N), SHOPLOG_API_KEY: ctx.server.ingestKey });
      const before = await ctx.server.settled();
      const verdictsBefore = await fraudVerdicts(ctx);
      const proc = startProcess(node.node, [join(ctx.app, 'first-week', 'deploy.mjs')], { cwd: ctx.app, env });
      const deadline = Date.now() + 60_000;
      while (!proc.out.stdout.includes('ready')) {
        if (!proc.running() || Date.now() > deadline) {
          const out = await proc.stop();
          throw new Error(`the app did not get ready\n${out.stdout}${out.stderr}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const end = await proc.stop(30_000);
      const stored = (await ctx.server.settled()) - before;
      // pino, winston and engine events, and the middleware's performance event of each request; plus the fraud
      // events the server stores for the sales it scores review or block (50 one-euro sales in a second look like
      // card testing to it), which are its own, not the app's.
      const verdicts = (await fraudVerdicts(ctx)) - verdictsBefore;
      const expected = 4 * N + verdicts;
      const problems = [];
      if (end.signal !== 'SIGTERM') problems.push(`ended by ${end.signal ?? `exit ${end.code}`}, not by SIGTERM`);
      if (stored !== expected) problems.push(`${stored} events stored, expected ${expected}`);
      if (segments(spool).length > 0) problems.push(`spooled: ${segments(spool).join(', ')}`);
      if (end.stderr.trim() !== '') problems.push(`stderr:\n${end.stderr}`);
      if (problems.length > 0) throw new Error(problems.join('\n'));
    },
  ],
];
