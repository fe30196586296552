// Packaging scenarios of issue 15 ("Fits the ecosystem"), checked on the packed tarballs as a user installs them.
// Each returns nothing when it holds and throws an Error saying what is wrong otherwise.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_KEY, runToEnd } from './processes.mjs';
import { installFootprint, readJson } from './setup.mjs';

const OPTIONAL = ['@elastic/elasticsearch', 'ioredis', 'mongodb'];

function tarFiles(tarball) {
  return execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

function tarText(tarball, path) {
  return execFileSync('tar', ['xzOf', tarball, path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/**
 * The scenarios, as `[name, async (ctx) => void]`; `ctx`: `{ root, base, app, tarballs, nodes, server, env, installs,
 * footprints }` (`installs`: the client-only and server-only npm projects, installed beside the app's).
 */
export const SCENARIOS = [
  [
    'client packages install on Node 20 with --engine-strict (no EBADENGINE)',
    async (ctx) => {
      const { dir, output, version } = await ctx.installs.clientOnly;
      if (/EBADENGINE/.test(output)) throw new Error(`npm on Node ${version} warned:\n${output}`);
      ctx.footprints.push(['client-only (core + node-transport + express-middleware)', installFootprint(dir)]);
    },
  ],
  [
    'a server install (the server and the Shoplog packages it depends on) pulls none of the optional scale-out clients',
    async (ctx) => {
      const { dir } = await ctx.installs.serverOnly;
      const present = OPTIONAL.filter((name) => existsSync(join(dir, 'node_modules', name)));
      if (present.length > 0) throw new Error(`installed anyway: ${present.join(', ')}`);
      ctx.footprints.push([
        `server (${Object.keys(readJson(join(dir, 'package.json')).dependencies).join(' + ')})`,
        installFootprint(dir),
      ]);
    },
  ],
  [
    'a selected backend whose client is not installed is named with the npm install to run',
    async (ctx) => {
      const cli = join(ctx.app, 'node_modules/@shoplog/server/dist/cli.js');
      const data = join(ctx.base, 'redis-missing');
      const result = await runToEnd(ctx.nodes.serverNewest.node, [cli, 'serve'], {
        cwd: ctx.app,
        env: {
          ...ctx.env,
          REDIS_URL: 'redis://127.0.0.1:1',
          SHOPLOG_DATA_DIR: data,
          SHOPLOG_PORT: '0',
          SHOPLOG_INGEST_PORT: '-1',
        },
        timeoutMs: 60_000,
      });
      const expected =
        'shoplog: REDIS_URL needs the package ioredis, which is not installed: run `npm install ioredis@^6` beside @shoplog/server.\n';
      if (result.code !== 1 || result.stderr !== expected)
        throw new Error(`exit ${result.code}, stderr:\n${result.stderr}`);
    },
  ],
  [
    'the server on a Node.js older than it needs says so in one sentence',
    async (ctx) => {
      const old = ctx.nodes.tooOldForServer;
      if (!old) throw new Error('no Node.js older than the server needs on this machine to check with');
      const cli = join(ctx.app, 'node_modules/@shoplog/server/dist/cli.js');
      const result = await runToEnd(old.node, [cli, 'serve'], {
        cwd: ctx.app,
        env: { ...ctx.env, SHOPLOG_DATA_DIR: join(ctx.base, 'old-node') },
      });
      const expected = `shoplog: the Shoplog server needs Node.js 22.13.0 or newer (for the built-in node:sqlite); this is Node.js ${old.version}.\n`;
      if (result.code !== 1 || result.stderr !== expected)
        throw new Error(`exit ${result.code}, stderr:\n${result.stderr}`);
    },
  ],
  [
    'the server prints no ExperimentalWarning (nor any other warning) at start',
    async (ctx) => {
      const stderr = ctx.server.proc.out.stderr;
      if (stderr.trim() !== '') throw new Error(`the server (Node ${ctx.server.version}) printed:\n${stderr}`);
    },
  ],
  [
    'shoplog --version and the help of every command work from the installed package',
    async (ctx) => {
      const cli = join(ctx.app, 'node_modules/@shoplog/server/dist/cli.js');
      const node = ctx.nodes.clientOldest.node;
      const version = await runToEnd(node, [cli, '--version'], { cwd: ctx.app, env: ctx.env });
      const expected = readJson(join(ctx.app, 'node_modules/@shoplog/server/package.json')).version;
      if (version.stdout.trim() !== expected) throw new Error(`--version printed ${JSON.stringify(version.stdout)}`);
      for (const command of ['serve', 'generate', 'import', 'keys', 'erase', 'backup', 'restore', 'vacuum']) {
        const help = await runToEnd(node, [cli, command, '--help'], { cwd: ctx.app, env: ctx.env });
        if (help.code !== 0 || !help.stdout.startsWith(`usage: shoplog ${command}`))
          throw new Error(`${command} --help: exit ${help.code}\n${help.stdout}${help.stderr}`);
      }
    },
  ],
  [
    'tarballs: maps point at the shipped src and embed no sources; no dashboard map',
    async (ctx) => {
      const problems = [];
      for (const [name, tarball] of Object.entries(ctx.tarballs)) {
        const files = new Set(tarFiles(tarball));
        for (const map of [...files].filter((f) => f.endsWith('.map'))) {
          if (map.includes('/web/')) {
            problems.push(`${name}: ${map} (the dashboard ships no map)`);
            continue;
          }
          const json = JSON.parse(tarText(tarball, map));
          if (json.sourcesContent) problems.push(`${name}: ${map} embeds sourcesContent`);
          const dir = map.split('/').slice(0, -1).join('/');
          for (const source of json.sources) {
            const resolved = join(dir, source);
            if (resolved.includes('/src/') && !files.has(resolved))
              problems.push(`${name}: ${map} points at ${source}, not in the tarball`);
          }
        }
      }
      if (problems.length > 0) throw new Error(problems.slice(0, 20).join('\n'));
    },
  ],
  [
    'each tarball carries the text of the licence its package.json names',
    async (ctx) => {
      const problems = [];
      for (const [name, tarball] of Object.entries(ctx.tarballs)) {
        const { license } = JSON.parse(tarText(tarball, 'package/package.json'));
        const files = tarFiles(tarball);
        const text = files.includes('package/LICENSE') ? tarText(tarball, 'package/LICENSE') : '';
        if (license !== 'MIT' || !text.startsWith('MIT License'))
          problems.push(`${name}: license ${license}, LICENSE ${text ? 'is not the MIT text' : 'missing'}`);
      }
      if (problems.length > 0) throw new Error(problems.join('\n'));
    },
  ],
  [
    'the dashboard source map is not served',
    async (ctx) => {
      const page = await (await fetch(`${ctx.server.url}/`)).text();
      const js = /\/assets\/(app-[A-Z0-9]+\.js)/.exec(page)?.[1];
      if (!js) throw new Error('no dashboard script on the page');
      const body = await (await fetch(`${ctx.server.url}/assets/${js}`)).text();
      if (/sourceMappingURL/.test(body)) throw new Error(`${js} links a source map`);
      for (const headers of [{}, { authorization: `Bearer ${ADMIN_KEY}` }]) {
        const res = await fetch(`${ctx.server.url}/assets/${js}.map`, { headers });
        if (res.status !== 404) throw new Error(`/assets/${js}.map answered ${res.status}`);
      }
    },
  ],
  [
    'the server README in the tarball starts the server with npx shoplog, not a workspace script',
    async (ctx) => {
      const readme = readFileSync(join(ctx.app, 'node_modules/@shoplog/server/README.md'), 'utf8');
      if (!readme.includes('npx shoplog serve')) throw new Error('no `npx shoplog serve`');
      const workspace = readme.split('\n').filter((l) => /\bpnpm start\b/.test(l));
      if (workspace.length > 0) throw new Error(`workspace commands in the package README:\n${workspace.join('\n')}`);
    },
  ],
  [
    'every entry point and subpath resolves and type-checks under moduleResolution node10',
    async (ctx) => {
      const dir = join(ctx.app, 'node10');
      mkdirSync(dir, { recursive: true });
      const entries = [];
      for (const name of ctx.names) {
        const pkg = readJson(join(ctx.app, 'node_modules/@shoplog', name, 'package.json'));
        for (const sub of Object.keys(pkg.exports))
          if (sub !== './package.json') entries.push(`@shoplog/${name}${sub.slice(1)}`);
      }
      // Resolution is what this checks (an unresolved entry fails in probe.ts itself); declarations are checked in
      // full by the type check of the README blocks. Subpaths needing an optional package need it installed.
      const needs = {
        '@shoplog/server/elasticsearch': '@elastic/elasticsearch',
        '@shoplog/server/redis': 'ioredis',
        '@shoplog/server/mongodb': 'mongodb',
      };
      const checked = entries.filter((e) => !needs[e] || existsSync(join(ctx.app, 'node_modules', needs[e])));
      writeFileSync(
        join(dir, 'probe.ts'),
        checked
          .map((e, i) => `import * as m${i} from '${e}';\nexport const k${i}: string[] = Object.keys(m${i});\n`)
          .join(''),
      );
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'commonjs',
            moduleResolution: 'node10',
            target: 'ES2022',
            strict: true,
            esModuleInterop: true,
            skipLibCheck: true,
            noEmit: true,
            types: ['node'],
          },
          files: ['probe.ts'],
        }),
      );
      const tsc = join(ctx.app, 'node_modules/typescript/bin/tsc');
      const result = await runToEnd(process.execPath, [tsc, '-p', dir], { cwd: dir, env: ctx.env });
      if (result.code !== 0) throw new Error(`${checked.join(', ')}:\n${result.stdout}${result.stderr}`);
      const absent = OPTIONAL.filter((p) => existsSync(join(ctx.app, 'node_modules', p)));
      if (absent.length > 0) throw new Error(`the app was meant to lack ${absent.join(', ')}`);
    },
  ],
];
