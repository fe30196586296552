// Writes the README blocks into the test app, type-checks them as a user's strict project would, and runs one block
// on one Node.js.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ADMIN_KEY, freePort, runToEnd, startProcess, waitForPort } from './processes.mjs';
import { runRsyslogBlock } from './rsyslog.mjs';
import { pathWith } from './setup.mjs';

/** The file a block is written to, relative to the app: `.mjs` for JavaScript, `.mts` (compiled to `.mjs`) for TypeScript. */
export const sourceOf = (block) => join('blocks', `${block.id}.${block.lang === 'ts' ? 'mts' : 'mjs'}`);
const programOf = (block) => join(block.lang === 'ts' ? 'blocks-out' : 'blocks', `${block.id}.mjs`);

// A user's strict project: every block type-checked together (JavaScript too, with checkJs), declarations of every
// installed package checked (skipLibCheck off: a declaration importing a package the app does not have fails here).
const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    allowJs: true,
    checkJs: true,
    skipLibCheck: false,
    types: ['node'],
    outDir: 'blocks-out',
    rootDir: 'blocks',
  },
  include: ['blocks'],
};

/** Writes the JavaScript/TypeScript blocks (and, with `tsconfig`, the tsconfig of their type check) into a project. */
export function writeBlocks(app, blocks, { tsconfig = true } = {}) {
  mkdirSync(join(app, 'blocks'), { recursive: true });
  if (tsconfig) writeFileSync(join(app, 'tsconfig.json'), `${JSON.stringify(TSCONFIG, null, 2)}\n`);
  for (const block of blocks) {
    if (block.lang !== 'js' && block.lang !== 'ts') continue;
    writeFileSync(join(app, sourceOf(block)), block.code);
    // A block that names its file on its first line (`// verify.mjs`) is there under that name too, for a later
    // block that imports it as the README says.
    const named = /^\/\/ ([\w.-]+\.m?js)\n/.exec(block.code)?.[1];
    if (named) writeFileSync(join(app, 'blocks', named), block.code);
  }
}

const tscOf = (app) => join(app, 'node_modules', 'typescript', 'bin', 'tsc');

/**
 * Compiles the TypeScript blocks to `.mjs` without type-checking them; resolves with the syntax errors (empty:
 * clean). tsc emits even then, so each block still runs and reports its own failure.
 */
export async function compileBlocks(app, env) {
  const result = await runToEnd(process.execPath, [tscOf(app), '-p', '.', '--noCheck'], { cwd: app, env });
  return `${result.stdout}${result.stderr}`.split('\n').filter((l) => /error TS\d+/.test(l));
}

/** `tsc --noEmit` over the blocks; resolves with the type errors (empty: clean). */
export async function typeCheckBlocks(app, env) {
  const check = await runToEnd(process.execPath, [tscOf(app), '-p', '.', '--noEmit'], {
    cwd: app,
    env,
    timeoutMs: 600_000,
  });
  return `${check.stdout}${check.stderr}`.split('\n').filter((l) => /error TS\d+/.test(l));
}

/** Lines in a block's stderr that mean something went wrong although it exited 0. */
const BAD_STDERR = /ExperimentalWarning|DeprecationWarning|EBADENGINE|\bError\b|\bwarn(ing)?\b/i;

/**
 * Runs one block with one Node.js. `ctx`: `{ root, app, node, env, server }` (server: the suite's Shoplog server
 * for `server` blocks). Resolves with `{ ok, detail }`.
 */
export async function runBlock(block, ctx) {
  if (block.tags.has('rsyslog')) return runRsyslogBlock(block, ctx, waitForDelivery);
  if (block.tags.has('webhooks'))
    return withWebhookReceiver(ctx, (env) => runProgram(block, { ...ctx, env: { ...ctx.env, ...env } }));
  return runProgram(block, ctx);
}

/**
 * Runs `run(env)` with a webhook receiver on 127.0.0.1 (`OPS_WEBHOOK_URL` + `OPS_WEBHOOK_SECRET`, signatures checked
 * with @shoplog/plugin-notify's `verifyWebhookSignature`, and `SLACK_WEBHOOK_URL`); each must get a valid request.
 */
async function withWebhookReceiver(ctx, run) {
  const secret = 'packed-suite-webhook-secret';
  const entry = join(ctx.app, 'node_modules', '@shoplog', 'plugin-notify', 'dist', 'index.js');
  const { verifyWebhookSignature } = await import(pathToFileURL(entry).href);
  const got = { ops: 0, slack: 0, refused: [] };
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/ops' && verifyWebhookSignature({ secret, header: req.headers['shoplog-signature'], body }))
        got.ops++;
      else if (req.url === '/slack' && typeof JSON.parse(body || '{}').text === 'string') got.slack++;
      else got.refused.push(`${req.method} ${req.url}`);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${receiver.address().port}`;
  try {
    const result = await run({
      OPS_WEBHOOK_URL: `${base}/ops`,
      OPS_WEBHOOK_SECRET: secret,
      SLACK_WEBHOOK_URL: `${base}/slack`,
    });
    if (!result.ok) return result;
    if (got.ops === 0 || got.slack === 0 || got.refused.length > 0) {
      return {
        ok: false,
        detail: `the receiver got ${got.ops} signed webhook and ${got.slack} Slack requests; refused: ${got.refused.join(', ') || 'none'}\n${result.output}`,
      };
    }
    return result;
  } finally {
    receiver.close();
  }
}

async function runProgram(block, ctx) {
  const cwd = block.tags.has('repo') ? ctx.root : mkdtempSync(join(ctx.app, `run-${block.id}-`));
  const env = { ...ctx.env, PATH: block.tags.has('repo') ? process.env.PATH : pathWith(ctx.node, ctx.app) };
  if (block.tags.has('server')) {
    Object.assign(env, {
      SHOPLOG_URL: ctx.server.url,
      SHOPLOG_API_KEY: ctx.server.ingestKey,
      SHOPLOG_DATA_DIR: ctx.server.dataDir,
      SHOPLOG_INGEST_PORT: String(ctx.server.ingestPort),
    });
  }
  const [cmd, args] =
    block.lang === 'sh'
      ? ['bash', ['-e', '-o', 'pipefail', '-c', block.code]]
      : [ctx.node, [join(ctx.app, programOf(block))]];
  const before = block.tags.has('delivers') ? await ctx.server.settled() : 0;

  let result;
  if (block.tags.has('long-running')) {
    const port = await freePort();
    // A data folder of its own for a server the block starts (the suite's server holds its own folder).
    const data = mkdtempSync(join(ctx.app, 'block-data-'));
    Object.assign(env, { PORT: String(port), SHOPLOG_PORT: String(port), SHOPLOG_INGEST_PORT: '-1' });
    if (!block.tags.has('server')) env.SHOPLOG_DATA_DIR = data;
    const proc = startProcess(cmd, args, { cwd, env });
    try {
      await waitForPort(port, { alive: proc.running, timeoutMs: block.tags.has('repo') ? 900_000 : 60_000 });
      for (const probe of block.probes) {
        const res = await fetch(`http://127.0.0.1:${port}${probe.path}`, {
          method: probe.method,
          headers: probe.body ? { 'content-type': 'application/json' } : {},
          body: probe.body,
        });
        await res.arrayBuffer();
        if (res.status >= 500) throw new Error(`probe ${probe.method} ${probe.path} answered ${res.status}`);
      }
      if (block.tags.has('delivers')) await waitForDelivery(ctx.server, before);
    } catch (error) {
      const out = await proc.stop();
      return { ok: false, detail: `${error.message}\n${out.stdout}${out.stderr}` };
    }
    result = await proc.stop();
    // Stopped by our SIGTERM: it may end with status 0 or by the signal.
    if (result.signal === 'SIGTERM') result.code = 0;
  } else {
    result = await runToEnd(cmd, args, { cwd, env, timeoutMs: 120_000 });
    if (result.timedOut) return { ok: false, detail: `timed out\n${result.stdout}${result.stderr}` };
    if (result.code === 0 && block.tags.has('delivers')) {
      try {
        await waitForDelivery(ctx.server, before);
      } catch (error) {
        return { ok: false, detail: `${error.message}\n${result.stdout}${result.stderr}` };
      }
    }
  }
  if (result.code !== 0)
    return { ok: false, detail: `exit ${result.code ?? result.signal}\n${result.stdout}${result.stderr}` };
  const bad = result.stderr.split('\n').filter((l) => BAD_STDERR.test(l));
  if (bad.length > 0) return { ok: false, detail: `stderr:\n${bad.join('\n')}` };
  return { ok: true, detail: '', output: `${result.stdout}${result.stderr}` };
}

async function waitForDelivery(server, before, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let now = before;
  while (Date.now() < deadline) {
    now = await server.committed();
    if (now > before) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no event reached the server (${before} stored before, ${now} after)`);
}

/** Creates a key the way the README says (`shoplog keys create`), with the server's Node.js: `ingest` for the blocks. */
export async function keyFor(server, { node, app, env }, scope = 'ingest') {
  const cli = join(app, 'node_modules', '@shoplog', 'server', 'dist', 'cli.js');
  const result = await runToEnd(node, [cli, 'keys', 'create', '--scope', scope, '--name', `packed-suite-${scope}`], {
    cwd: app,
    env: { ...env, SHOPLOG_DATA_DIR: server.dataDir },
  });
  if (result.code !== 0) throw new Error(`shoplog keys create failed: ${result.stderr}`);
  return result.stdout.trim();
}

export { ADMIN_KEY };
