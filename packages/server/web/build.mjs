// Bundles the dashboard (web/src → dist/web): one hashed JS and one hashed CSS file, and index.html pointing at
// them. No CDN and no inline script, so the page works offline under a strict Content-Security-Policy.
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Builds the page into `outdir` (default `dist/web`) and returns the written asset names. */
export async function buildWeb({ outdir = join(here, '..', 'dist', 'web'), minify = true } = {}) {
  await rm(outdir, { recursive: true, force: true });
  const assets = join(outdir, 'assets');
  await mkdir(assets, { recursive: true });
  const result = await build({
    entryPoints: [join(here, 'src', 'main.ts')],
    bundle: true,
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    outdir: assets,
    entryNames: 'app-[hash]',
    minify,
    // No source map: the server would not serve it (see src/http/web.ts) and the package does not ship it.
    sourcemap: false,
    metafile: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const js = outputs.find((f) => f.endsWith('.js'));
  const css = outputs.find((f) => f.endsWith('.css'));
  if (!js || !css) throw new Error(`web build produced no JS or CSS: ${outputs.join(', ')}`);
  const html = (await readFile(join(here, 'index.html'), 'utf8')).replace('__JS__', js).replace('__CSS__', css);
  await writeFile(join(outdir, 'index.html'), html);
  return { outdir, js, css };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { outdir, js, css } = await buildWeb();
  console.log(`dashboard built: ${join(outdir, 'assets', js)}, ${css}`);
}
