#!/usr/bin/env node
// The packed-tarball suite: packs the four packages (`pnpm pack`; build them first), installs the tarballs into a
// fresh npm project outside the workspace with plain npm, then
//   - checks the packaging scenarios (lib/scenarios.mjs),
//   - type-checks every README code block as a strict user project would,
//   - runs every README code block (lib/extract.mjs says how blocks are tagged) on each Node.js major the packages
//     declare and the machine provides (20, 22, 24), against a real Shoplog server started from the tarball,
//   - replays a shop team's first week on each of them (lib/first-week.mjs: refused keys, a server that is down,
//     misuse, a rolling deploy's SIGTERM) against that server.
// Prints one line per check, the install footprints, and "N passed, M failed"; writes the counts to
// --results=FILE (JSON) for .ci/run. Options: --keep (leave the temp folder), --only=TEXT (blocks whose id has it).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileBlocks, keyFor, runBlock, typeCheckBlocks, writeBlocks } from './lib/blocks.mjs';
import { FIRST_WEEK, writeFirstWeekPrograms } from './lib/first-week.mjs';
import { allBlocks } from './lib/extract.mjs';
import { killAll, startShoplogServer } from './lib/processes.mjs';
import { SCENARIOS } from './lib/scenarios.mjs';
import {
  APP_DEPENDENCIES,
  findNodes,
  npmProject,
  packAll,
  pathWith,
  readJson,
  thirdPartyImportsOf,
  withShoplogDependencies,
  workspacePackages,
  workspaceSpecs,
} from './lib/setup.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = new Map(
  process.argv
    .slice(2)
    .map((a) => a.replace(/^--/, '').split('='))
    .map(([k, v]) => [k, v ?? true]),
);
const MAJORS = [20, 22, 24];
const started = Date.now();
const results = [];
let last = Date.now();
const record = (name, ok, detail = '', tookMs = Date.now() - last) => {
  results.push({ name, ok });
  const took = `(${(tookMs / 1000).toFixed(1)} s)`;
  last = Date.now();
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} ${took}${ok || !detail ? '' : `\n${detail.replace(/^/gm, '       ')}`}`);
};
const seconds = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;

// The lowest version a package's `engines.node` allows (`>=X[.Y[.Z]]` is the only form the packages use).
function minimumOf(range, name) {
  const match = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range ?? '');
  if (!match) throw new Error(`${name}: engines.node ${JSON.stringify(range)} is not of the form >=X.Y`);
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}
const atLeast = (version, min) => {
  const v = version.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (v[i] !== min[i]) return v[i] > min[i];
  return true;
};

// The @shoplog packages a block uses (imports, or the shoplog command for the server).
function packagesOf(block) {
  const used = new Set([...block.code.matchAll(/@shoplog\/([a-z-]+)/g)].map((m) => m[1]));
  if (/\bshoplog (serve|keys|import|generate)\b/.test(block.code)) used.add('server');
  return used;
}

// `npm install a b@1 …` lines of an install block: every package must be one the app has.
function checkInstallBlock(block, app) {
  const have = readJson(join(app, 'package.json')).dependencies;
  const named = block.code
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => /^npm (install|i)\b/.test(l))
    .flatMap((l) =>
      l
        .split(/\s+/)
        .slice(2)
        .filter((w) => !w.startsWith('-')),
    )
    .map((spec) => spec.replace(/(.)@.*$/, '$1'));
  if (named.length === 0) return 'no `npm install` line';
  const missing = named.filter((name) => !have[name]);
  return missing.length > 0
    ? `not installable from the packed tarballs or the app's dependencies: ${missing.join(', ')}`
    : '';
}

// A fragment in a data format is parsed, so a syntax error in it is caught (the repository's yaml package).
async function parseFragment(block) {
  if (block.lang === 'json') JSON.parse(block.code);
  if (block.lang === 'yaml' || block.lang === 'yml')
    (await import('yaml')).parse(block.code, { strict: true, uniqueKeys: true });
}

// Stopped from outside (Ctrl-C, a CI timeout): what the suite started goes with it.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    killAll();
    process.exit(1);
  });
}

async function main() {
  const base = mkdtempSync(join(tmpdir(), 'shoplog-packed-'));
  const env = { ...process.env, npm_config_update_notifier: 'false', NO_UPDATE_NOTIFIER: '1' };
  for (const key of Object.keys(env))
    if (key.startsWith('SHOPLOG_') || key === 'REDIS_URL' || key === 'PORT') delete env[key];
  try {
    const blocks = allBlocks(root).filter(
      (b) => typeof args.get('only') !== 'string' || b.id.includes(args.get('only')),
    );
    console.log(`::: ${blocks.length} README blocks; packing into ${base}`);
    const tarballs = packAll(root, join(base, 'tarballs'));
    const names = workspacePackages(root);
    const engines = Object.fromEntries(
      names.map((n) => [n, minimumOf(readJson(join(root, 'packages', n, 'package.json')).engines?.node, n)]),
    );
    const found = findNodes(root, MAJORS);
    for (const major of MAJORS)
      console.log(
        `::: Node ${major}: ${found[major] ? `${found[major].version} (${found[major].node})` : 'not available here'}`,
      );
    const available = MAJORS.filter((m) => found[m]).map((m) => found[m]);
    const allows = (version, used) => [...used].every((name) => atLeast(version, engines[name]));
    const nodes = {
      clientOldest: available.find((n) => allows(n.version, ['core', 'node-transport', 'express-middleware'])),
      serverOldest: available.find((n) => allows(n.version, ['server'])),
      serverNewest: available.findLast((n) => allows(n.version, ['server'])),
      tooOldForServer: available.find((n) => !allows(n.version, ['server'])),
    };
    // Every major the suite targets must be there to test on.
    for (const major of MAJORS) {
      if (!found[major])
        record(
          `Node ${major} is available to test on`,
          false,
          `not found on PATH, in node_modules or through npx -y node@${major}`,
        );
    }

    // Blocks that use a shipper of another project (pino-elasticsearch, OpenTelemetry, …) run in a project of their
    // own, so the app keeps the dependencies of a Shoplog user only (no @elastic/elasticsearch under its declarations).
    const shipperBlocks = new Set(
      blocks.filter((b) => thirdPartyImportsOf(b).some((n) => !APP_DEPENDENCIES.includes(n))),
    );
    const shipperPackages = [...new Set([...shipperBlocks].flatMap(thirdPartyImportsOf))];
    for (const b of shipperBlocks)
      if (b.lang !== 'js')
        throw new Error(
          `${b.file}:${b.line}: a block using ${thirdPartyImportsOf(b).join(', ')} must be JavaScript (it is not compiled)`,
        );

    // The app (tarballs + what the examples use), and the two installs whose footprint is reported, side by side.
    const app = join(base, 'app');
    console.log(`::: npm install of the tarballs (${seconds()})`);
    const install = (name, specs, node) => {
      const dir = join(base, name);
      return npmProject(dir, specs, { env: { ...env, PATH: pathWith(node.node, dir) } }).then((output) => ({
        dir,
        output,
        version: node.version,
      }));
    };
    const installs = {
      app: install('app', [...Object.values(tarballs), ...workspaceSpecs(root, APP_DEPENDENCIES)], nodes.serverNewest),
      shippers: install('shippers', workspaceSpecs(root, shipperPackages), nodes.serverNewest),
      // On the oldest major the suite targets (20), whatever the packages declare: that they install there is the check.
      clientOnly: install(
        'client-only',
        ['--engine-strict', tarballs.core, tarballs['node-transport'], tarballs['express-middleware']],
        found[MAJORS[0]] ?? nodes.clientOldest,
      ),
      serverOnly: install(
        'server-only',
        withShoplogDependencies(root, ['server']).map((n) => tarballs[n]),
        nodes.serverNewest,
      ),
    };
    for (const p of Object.values(installs)) p.catch(() => {});
    await installs.app;

    console.log(`::: the suite's server: shoplog serve on Node ${nodes.serverOldest.version} (${seconds()})`);
    const server = await startShoplogServer({ node: nodes.serverOldest.node, app, env });
    server.version = nodes.serverOldest.version;
    server.ingestKey = await keyFor(server, { node: nodes.serverOldest.node, app, env });
    server.readKey = await keyFor(server, { node: nodes.serverOldest.node, app, env }, 'read');
    const ctx = { root, base, app, names, tarballs, nodes, server, env, installs, footprints: [] };

    last = Date.now();
    for (const [name, check] of SCENARIOS) {
      try {
        await check(ctx);
        record(name, true);
      } catch (error) {
        record(name, false, error.message);
      }
    }

    last = Date.now();
    const code = blocks.filter(
      (b) => (b.lang === 'js' || b.lang === 'ts') && !b.tags.has('fragment') && !shipperBlocks.has(b),
    );
    writeBlocks(app, code);
    const shippers = await installs.shippers;
    writeBlocks(shippers.dir, [...shipperBlocks], { tsconfig: false });
    const tscEnv = { ...env, PATH: pathWith(process.execPath, app) };
    if (code.length > 0) {
      const syntaxErrors = await compileBlocks(app, tscEnv);
      record(
        `README TypeScript blocks compile (${code.filter((b) => b.lang === 'ts').length} blocks)`,
        syntaxErrors.length === 0,
        syntaxErrors.join('\n'),
      );
    }
    // The slow checks that wait on nothing else run beside the block runs (which mostly wait on child processes):
    // the strict type check of the blocks, and the repository's own commands (a full build).
    const timed = (name, promise) => {
      const t0 = Date.now();
      return promise.then(({ ok, detail }) => ({ name, ok, detail, ms: Date.now() - t0 }));
    };
    const beside = [
      ...(code.length === 0
        ? []
        : [
            timed(
              `README blocks type-check as a strict project (${code.length} blocks, checkJs, skipLibCheck off)`,
              typeCheckBlocks(app, tscEnv).then((errors) => ({ ok: errors.length === 0, detail: errors.join('\n') })),
            ),
          ]),
      ...blocks
        .filter((b) => b.tags.has('repo') && !b.tags.has('ci'))
        .map((block) =>
          timed(`${block.file}:${block.line} in the repository`, runBlock(block, { ...ctx, node: process.execPath })),
        ),
    ];

    last = Date.now();
    for (const block of blocks) {
      const where = `${block.file}:${block.line}`;
      if (block.tags.has('fragment')) {
        try {
          await parseFragment(block);
          console.log(`skip ${where} (fragment${['json', 'yaml', 'yml'].includes(block.lang) ? ', parsed' : ''})`);
        } catch (error) {
          record(`${where} fragment parses as ${block.lang}`, false, error.message);
        }
        continue;
      }
      if (block.tags.has('ci')) {
        console.log(`skip ${where} (run by .ci/run itself)`);
        continue;
      }
      if (block.tags.has('rsyslog')) {
        const result = await runBlock(block, ctx);
        record(`${where} with rsyslogd`, result.ok, result.detail);
        continue;
      }
      if (block.tags.has('repo')) continue;
      if (block.tags.has('install')) {
        const problem = checkInstallBlock(block, app);
        record(`${where} install`, problem === '', problem);
        continue;
      }
      const used = packagesOf(block);
      for (const major of MAJORS) {
        const n = found[major];
        if (!n || !allows(n.version, used)) continue;
        const result = await runBlock(block, {
          ...ctx,
          node: n.node,
          ...(shipperBlocks.has(block) ? { app: shippers.dir } : {}),
        });
        record(
          `${where} on Node ${n.version}${shipperBlocks.has(block) ? ` (with ${thirdPartyImportsOf(block).join(', ')})` : ''}`,
          result.ok,
          result.detail,
        );
      }
    }
    // The first week of a shop team, on each Node.js the client packages allow.
    last = Date.now();
    writeFirstWeekPrograms(app);
    for (const [name, check] of FIRST_WEEK) {
      for (const major of MAJORS) {
        const n = found[major];
        if (!n || !allows(n.version, ['core', 'node-transport', 'express-middleware'])) continue;
        try {
          await check(ctx, n);
          record(`${name} (Node ${n.version})`, true);
        } catch (error) {
          record(`${name} (Node ${n.version})`, false, error.message);
        }
      }
    }

    for (const { name, ok, detail, ms } of await Promise.all(beside)) record(name, ok, detail, ms);

    const serverEnd = await server.stop();
    if (serverEnd.stderr.trim() !== '') record('the suite server printed nothing on stderr', false, serverEnd.stderr);

    for (const [what, f] of ctx.footprints) {
      console.log(
        `install footprint, ${what}: ${(f.bytes / 2 ** 20).toFixed(1)} MiB (${(f.disk / 2 ** 20).toFixed(1)} MiB on disk), ${f.packages} third-party packages`,
      );
    }
  } catch (error) {
    record('packed-tarball suite set-up', false, error.stack ?? String(error));
  } finally {
    killAll();
    if (args.has('keep')) console.log(`::: kept ${base}`);
    else rmSync(base, { recursive: true, force: true });
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  if (typeof args.get('results') === 'string')
    writeFileSync(
      args.get('results'),
      JSON.stringify({ passed, failed, failedChecks: results.filter((r) => !r.ok).map((r) => r.name) }),
    );
  console.log(`packed-tarball suite: ${passed} passed, ${failed} failed (${seconds()})`);
  process.exitCode = failed === 0 ? 0 : 1;
}

await main();
