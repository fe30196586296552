/**
 * The `shoplog` command as a user runs it: the built CLI (dist/cli.js) in real child processes, on temp data folders.
 * Needs `pnpm build` first (skipped, and said so, when dist/cli.js is absent).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { nodeVersionProblem } from '../src/store/node-version.js';
import type { HealthReport } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'cli.js');
const pkg = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')) as { version: string };
const KEY = `slk_${'c'.repeat(40)}`;
const dirs: string[] = [];
const children: ChildProcess[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-cli-'));
  dirs.push(dir);
  return dir;
}

const baseEnv = (dataDir?: string): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SHOPLOG_PORT: '0',
    SHOPLOG_INGEST_PORT: '-1',
    SHOPLOG_LOG_LEVEL: 'silent',
    SHOPLOG_BOOTSTRAP_KEY: KEY,
    SHOPLOG_BOOTSTRAP_PASSWORD: 'a long test password',
  };
  delete env['SHOPLOG_DATA_DIR'];
  delete env['REDIS_URL'];
  if (dataDir) env['SHOPLOG_DATA_DIR'] = dataDir;
  return env;
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to its end; one still running after 60 s (a server that should have been refused) is killed. */
function run(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; node?: string } = {}): Promise<Run> {
  const child = spawn(options.node ?? process.execPath, [cli, ...args], {
    env: options.env ?? baseEnv(),
    cwd: options.cwd ?? tempDir(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** Starts `shoplog serve` on `dataDir` (in `cwd`, with `args`); resolves with its URL once it listens. */
function serve(
  dataDir: string,
  options: { args?: string[]; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [cli, 'serve', ...(options.args ?? [])], {
    env: { ...baseEnv(dataDir), ...options.env },
    cwd: options.cwd ?? dataDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /running: (http:\/\/[^/\s]+)/.exec(out);
      if (match?.[1]) resolve({ child, url: match[1], output: () => out });
    });
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`serve exited (${code}): ${out}`)));
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.removeAllListeners('exit');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

const get = async <T>(url: string, key = KEY): Promise<T> => {
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status, `${url}: ${res.status}`).toBe(200);
  return (await res.json()) as T;
};

afterEach(async () => {
  for (const child of children.splice(0)) await stop(child);
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('nodeVersionProblem', () => {
  it('names the Node.js version the server needs, and accepts it and later ones', () => {
    expect(nodeVersionProblem('20.20.2')).toBe(
      'the Shoplog server needs Node.js 22.13.0 or newer (for the built-in node:sqlite); this is Node.js 20.20.2.',
    );
    expect(nodeVersionProblem('22.12.0')).toMatch(/needs Node\.js 22\.13\.0/);
    expect(nodeVersionProblem('22.13.0')).toBeUndefined();
    expect(nodeVersionProblem('24.1.0')).toBeUndefined();
  });
});

// Each test starts several Node processes (a server, the command under test): slow on a loaded machine, so a long
// timeout, and no timing asserted.
describe.skipIf(!existsSync(cli))('shoplog CLI (built dist/cli.js, child processes)', { timeout: 180_000 }, () => {
  it('prints its version and the help of every command, starting nothing', async () => {
    expect(await run(['--version'])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    for (const command of ['serve', 'generate', 'import', 'keys', 'erase', 'backup', 'restore', 'vacuum']) {
      const help = await run([command, '--help']);
      expect(help.code, `${command} --help: ${help.stderr}`).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^usage: shoplog ${command}`));
      expect(help.stderr).toBe('');
    }
    const usage = await run(['--help']);
    expect(usage.code).toBe(0);
    expect(usage.stdout).toMatch(/serve .*\n.*generate/);
  });

  it('names an unknown command or option and exits 2', async () => {
    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    const option = await run(['import', 'x.ndjson', '--bogus']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/import: Unknown option '--bogus'[\s\S]*see: shoplog import --help/);
  });

  it('refuses to create a key in a folder no server uses, and creates one the running server accepts', async () => {
    const cwd = tempDir();
    const refused = await run(['keys', 'create', '--scope', 'ingest'], { cwd });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/no Shoplog data folder at .*\.shoplog-data \(no meta\.db\)/);
    expect(refused.stdout).toBe('');
    expect(existsSync(join(cwd, '.shoplog-data', 'meta.db'))).toBe(false);

    const dataDir = tempDir();
    const server = await serve(dataDir);
    const created = await run(['keys', 'create', '--scope', 'read', '--data-dir', dataDir]);
    expect(created.code, created.stderr).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^slk_[A-Za-z0-9_-]{20,}$/);
    expect(created.stderr).toContain(`created the read key "cli" in ${dataDir} (served at ${server.url})`);
    await get(`${server.url}/api/search/?range=all`, key);
  });

  it('refuses a second server on the same data folder, naming the first', async () => {
    const dataDir = tempDir();
    const first = await serve(dataDir);
    const second = await run(['serve'], { env: baseEnv(dataDir) });
    expect(second.code).toBe(1);
    expect(second.stderr.trim()).toBe(
      `shoplog: the data folder ${dataDir} is in use by shoplog serve (pid ${first.child.pid}, ${first.url}); stop it first, or use another folder (--data-dir or SHOPLOG_DATA_DIR).`,
    );
    // The first one still answers, and once it stopped the folder can be served again.
    await get(`${first.url}/api/dashboard/health`);
    expect(await stop(first.child)).toBe(0);
    const again = await serve(dataDir);
    await get(`${again.url}/api/dashboard/health`);
  });

  it('refuses vacuum, restore and a local erase while a server runs on the folder; backup works beside it', async () => {
    const dataDir = tempDir();
    const first = await serve(dataDir);
    const inUse = `the data folder ${dataDir} is in use by shoplog serve (pid ${first.child.pid}, ${first.url})`;
    const backupDir = join(tempDir(), 'backup');
    const backup = await run(['backup', backupDir], { env: baseEnv(dataDir) });
    expect(backup.code, backup.stderr).toBe(0);
    for (const args of [['vacuum'], ['restore', backupDir, '--force'], ['erase', '--user', 'u-1']]) {
      const refused = await run(args, { env: baseEnv(dataDir) });
      expect(refused.code, `${args.join(' ')}: ${refused.stdout}`).toBe(1);
      expect(refused.stderr).toContain(inUse);
    }
    await get(`${first.url}/api/dashboard/health`);
    expect(await stop(first.child)).toBe(0);
    const vacuumed = await run(['vacuum', '--data-dir', dataDir]);
    expect(vacuumed.code, vacuumed.stderr).toBe(0);
    expect(vacuumed.stdout).toMatch(/events\.db: \d+ → \d+ bytes, incremental vacuum on/);
  });

  it('imports a file, reporting each rejected line with its reason, and exits 1 when nothing was imported', async () => {
    const dataDir = tempDir();
    const file = join(dataDir, 'events.ndjson');
    execFileSync(process.execPath, [cli, 'generate', '-n', '50', '-o', file]);
    writeFileSync(
      file,
      `${readFileSync(file, 'utf8')}{"bad":1}\nnot json\n{"log_type":"transaction","transaction_id":"t-1","amount":"ten"}\n`,
    );
    const partial = await run(['import', file, '--data-dir', dataDir]);
    expect(partial.code, partial.stderr).toBe(0);
    expect(partial.stdout).toContain('50 created, 0 duplicates, 3 rejected');
    const lines = partial.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^line 51: log_type: is required/);
    expect(lines[1]).toMatch(/^line 52: not JSON/);
    expect(lines[2]).toMatch(/^line 53: amount: must be a decimal amount/);

    const bad = join(dataDir, 'bad.ndjson');
    writeFileSync(bad, 'not json\n{"bad":1}\n');
    const none = await run(['import', bad, '--data-dir', dataDir]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      /^line 1: not JSON.*\nline 2: log_type: is required.*\nshoplog: import: nothing imported from .*bad\.ndjson: every record was rejected/,
    );
    const empty = join(dataDir, 'empty.ndjson');
    writeFileSync(empty, '\n');
    expect((await run(['import', empty, '--data-dir', dataDir])).code).toBe(1);
  });

  it('refuses to import behind a running server, and after an import the health index counts match search', async () => {
    const dataDir = tempDir();
    const file = join(dataDir, 'events.ndjson');
    execFileSync(process.execPath, [cli, 'generate', '-n', '300', '-o', file]);
    const server = await serve(dataDir);
    const behind = await run(['import', file, '--data-dir', dataDir]);
    expect(behind.code).toBe(1);
    expect(behind.stderr).toContain(`in use by shoplog serve (pid ${server.child.pid}, ${server.url})`);
    expect(behind.stderr).toContain(`-F file=@${file} ${server.url}/api/logs/upload`);
    expect(await stop(server.child)).toBe(0);

    const imported = await run(['import', file, '--data-dir', dataDir]);
    expect(imported.code, imported.stderr).toBe(0);
    const next = await serve(dataDir);
    const health = await get<HealthReport>(`${next.url}/api/dashboard/health`);
    const search = await get<{ data: { total: number } }>(`${next.url}/api/search/?range=all&size=1`);
    expect(search.data.total).toBeGreaterThanOrEqual(300);
    expect(health.index).toMatchObject({ committed: search.data.total, pending: 0 });
  });
});

// `pnpm start` is `serve --demo` from the repository's root, where the GeoIP plugin is installed.
describe.skipIf(!existsSync(cli))('shoplog serve --demo (pnpm start)', { timeout: 180_000 }, () => {
  it('runs GeoIP on its sample data and prints its notifications: countries on the overview, the alert on the console', async () => {
    const root = join(here, '..', '..', '..');
    // Alerts evaluated every second rather than every 30 s, so the demo's rule fires within the test.
    const demo = await serve(tempDir(), { args: ['--demo'], cwd: root, env: { SHOPLOG_ALERT_INTERVAL_SECONDS: '1' } });
    expect(demo.output()).toContain('Plugins: @shoplog/plugin-geoip.');
    expect(demo.output()).toContain(
      'Notification channels: demo-console (log): alerts and fraud blocks are printed here.',
    );
    type Plugins = { plugins: { name: string; kind: string; calls: number; errors: number }[] };
    const health = await get<Plugins>(`${demo.url}/api/dashboard/health`);
    expect(health.plugins.find((p) => p.name === '@shoplog/plugin-geoip')).toMatchObject({
      kind: 'processor',
      errors: 0,
    });
    expect(health.plugins.find((p) => p.name === '@shoplog/plugin-geoip')?.calls).toBeGreaterThanOrEqual(5000);
    // The sample data are ingested before the server answers, and indexed shortly after: the countries show once
    // the index has caught up (a slow machine can answer the first overview before that).
    const countries = async (): Promise<string[]> =>
      (
        await get<{ top_countries: { country: string; count: number }[] }>(
          `${demo.url}/api/dashboard/overview?range=7d`,
        )
      ).top_countries.map((c) => c.country);
    await expect
      .poll(countries, { timeout: 60_000, interval: 500 })
      .toEqual(expect.arrayContaining(['FR', 'DE', 'GB', 'US']));
    await expect
      .poll(demo.output, { timeout: 60_000, interval: 250 })
      .toMatch(/^shoplog notify: \[warning\] alert\.firing Firing: Demo: /m);
    const after = await get<Plugins>(`${demo.url}/api/dashboard/health`);
    expect(after.plugins.find((p) => p.name === 'demo-console (log)')).toMatchObject({ kind: 'notifier', errors: 0 });
  });
});

// The machine's system Node.js (20 on the development machines), when it is older than the server needs.
const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => {
  if (!existsSync(path)) return false;
  return nodeVersionProblem(execFileSync(path, ['-p', 'process.versions.node']).toString().trim()) !== undefined;
});

describe.skipIf(!existsSync(cli) || !oldNode)('shoplog CLI on a Node.js older than 22.13', () => {
  it('says so in one sentence (no stack trace), while --version, --help and generate still work', async () => {
    const node = oldNode as string;
    const version = execFileSync(node, ['-p', 'process.versions.node']).toString().trim();
    for (const command of [['serve'], ['import', 'x.ndjson'], ['keys', 'create', '--scope', 'read']]) {
      const result = await run(command, { node });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `shoplog: the Shoplog server needs Node.js 22.13.0 or newer (for the built-in node:sqlite); this is Node.js ${version}.\n`,
      );
    }
    expect((await run(['--version'], { node })).stdout).toBe(`${pkg.version}\n`);
    expect((await run(['serve', '--help'], { node })).code).toBe(0);
    const generated = await run(['generate', '-n', '3'], { node });
    expect(generated.stdout.trim().split('\n')).toHaveLength(3);
  });
});
