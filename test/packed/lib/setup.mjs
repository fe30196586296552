// The packed packages and the fresh npm project they are installed into, outside the workspace, with plain npm.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { runToEnd } from './processes.mjs';

/** The published packages: the folders of packages/ whose package.json is not private. */
export function workspacePackages(root) {
  return readdirSync(join(root, 'packages'))
    .filter(
      (d) =>
        existsSync(join(root, 'packages', d, 'package.json')) &&
        !readJson(join(root, 'packages', d, 'package.json')).private,
    )
    .sort();
}

/** `names` and the Shoplog packages they depend on (`workspace:` dependencies), transitively. */
export function withShoplogDependencies(root, names) {
  const out = new Set();
  const visit = (name) => {
    if (out.has(name)) return;
    out.add(name);
    const deps = readJson(join(root, 'packages', name, 'package.json')).dependencies ?? {};
    for (const dep of Object.keys(deps)) if (dep.startsWith('@shoplog/')) visit(dep.slice('@shoplog/'.length));
  };
  names.forEach(visit);
  return [...out];
}

const sh = (cmd, args, options = {}) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });

export function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** `pnpm pack` of the packages (built beforehand) into `dir`, in one pnpm run; returns `{ name: tarball path }`. */
export function packAll(root, dir) {
  mkdirSync(dir, { recursive: true });
  const names = workspacePackages(root);
  for (const name of names) {
    if (!existsSync(join(root, 'packages', name, 'dist')))
      throw new Error(`packages/${name}/dist is missing: run \`npx -y pnpm@10 build\` first`);
  }
  sh('npx', ['-y', 'pnpm@10', '-r', '--filter', './packages/**', 'pack', '--pack-destination', dir], { cwd: root });
  const out = {};
  for (const name of names) {
    const { version } = readJson(join(root, 'packages', name, 'package.json'));
    out[name] = join(dir, `shoplog-${name}-${version}.tgz`);
    if (!existsSync(out[name])) throw new Error(`pnpm pack wrote no ${out[name]}`);
  }
  return out;
}

// The ranges the workspace tests third-party packages with (one source: the workspace manifests).
function workspaceRanges(root) {
  const manifests = ['package.json', ...workspacePackages(root).map((name) => `packages/${name}/package.json`)].map(
    (p) => readJson(join(root, p)),
  );
  return Object.assign({}, ...manifests.map((m) => ({ ...m.peerDependencies, ...m.devDependencies })));
}

/** `name@range` of each package, at the workspace's range; throws naming a package the workspace does not use. */
export function workspaceSpecs(root, names) {
  const ranges = workspaceRanges(root);
  return names.map((name) => {
    if (!ranges[name]) throw new Error(`no workspace range for ${name}`);
    return `${name}@${ranges[name]}`;
  });
}

/** What the app has besides the tarballs: the packages the client examples use, TypeScript and the types they need. */
export const APP_DEPENDENCIES = ['express', 'pino', 'winston', 'typescript', '@types/node', '@types/express'];

/** The third-party packages a block imports (bare specifiers, without @shoplog/* and node: built-ins). */
export function thirdPartyImportsOf(block) {
  const names = [...block.code.matchAll(/\bfrom\s+['"]([^'"./][^'"]*)['"]/g)].map((m) => m[1]);
  return [
    ...new Set(
      names
        .filter((n) => !n.startsWith('node:') && !n.startsWith('@shoplog/'))
        .map((n) =>
          n
            .split('/')
            .slice(0, n.startsWith('@') ? 2 : 1)
            .join('/'),
        ),
    ),
  ];
}

/**
 * A fresh npm project in `dir` with `specs` installed by plain npm (the `npm` on `env.PATH`). Resolves with npm's
 * output; rejects with it when npm fails.
 */
export async function npmProject(dir, specs, { env = process.env } = {}) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'shoplog-packed-app', private: true, version: '1.0.0' }, null, 2)}\n`,
  );
  // --prefer-offline: within a run (and between runs) the npm cache answers; the tarballs are always read afresh.
  const result = await runToEnd(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=warn', ...specs],
    { cwd: dir, env, timeoutMs: 600_000 },
  );
  const output = `${result.stdout}${result.stderr}`;
  if (result.code !== 0) throw new Error(`npm install failed in ${dir}:\n${output}`);
  return output;
}

/** Installed size (apparent bytes) and third-party package count of an npm project's node_modules. */
export function installFootprint(dir) {
  const lock = readJson(join(dir, 'node_modules', '.package-lock.json'));
  const thirdParty = Object.keys(lock.packages).filter(
    (k) => k.startsWith('node_modules/') && !k.startsWith('node_modules/@shoplog/'),
  );
  const bytes = Number(sh('du', ['-sb', join(dir, 'node_modules')]).split('\t')[0]);
  const disk = Number(sh('du', ['-sk', join(dir, 'node_modules')]).split('\t')[0]) * 1024;
  return { bytes, disk, packages: thirdParty.length };
}

function versionOf(node) {
  try {
    return sh(node, ['-p', 'process.versions.node']).trim();
  } catch {
    return undefined;
  }
}

/**
 * A Node.js of each major the packages declare: `SHOPLOG_NODE_<major>` if set, else one on PATH, else the repo's
 * `node` devDependency (24), else `npx -y node@<major>`. Returns `{ major: { node, version } }` for those found.
 */
export function findNodes(root, majors) {
  const found = {};
  const candidates = (major) => [
    process.env[`SHOPLOG_NODE_${major}`],
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'node')),
    '/usr/bin/node',
    '/usr/local/bin/node',
    join(root, 'node_modules', 'node', 'bin', 'node'),
  ];
  for (const major of majors) {
    for (const node of candidates(major)) {
      if (!node || !existsSync(node)) continue;
      const version = versionOf(node);
      if (version?.split('.')[0] === String(major)) {
        found[major] = { node, version };
        break;
      }
    }
    if (found[major]) continue;
    try {
      const node = sh('npx', ['-y', `node@${major}`, '-p', 'process.execPath'], { timeout: 300_000 }).trim();
      const version = versionOf(node);
      if (version) found[major] = { node, version };
    } catch {
      // Not available on this machine: reported by the caller.
    }
  }
  return found;
}

/** The PATH a block runs with: the chosen Node first, then the app's bins, then the machine's. */
export function pathWith(node, app) {
  return [dirname(node), join(app, 'node_modules', '.bin'), process.env.PATH].join(delimiter);
}

/** Files under `dir` (recursively), relative paths. */
export function filesUnder(dir, prefix = '') {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? filesUnder(dir, join(prefix, d.name)) : [join(prefix, d.name)],
  );
}
