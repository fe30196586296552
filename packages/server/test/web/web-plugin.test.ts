import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { WEB_CSP, registerWeb } from '../../src/http/web.js';

function fixture(): string {
  const root = mkdtempSync(join(tmpdir(), 'shoplog-web-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><script type="module" src="/assets/app-X1.js"></script>');
  writeFileSync(join(root, 'assets', 'app-X1.js'), 'console.log(1)');
  writeFileSync(join(root, 'assets', 'app-X1.js.map'), '{"version":3,"sourcesContent":["secret source"]}');
  writeFileSync(join(root, 'secret.env'), 'TOKEN=1');
  return root;
}

describe('registerWeb', () => {
  it('serves the page with the CSP and revalidation, and hashed assets as immutable', async () => {
    const app = Fastify();
    registerWeb(app, { root: fixture() });
    const page = await app.inject('/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toBe(WEB_CSP);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.body).toContain('/assets/app-X1.js');
    const js = await app.inject('/assets/app-X1.js');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body).toBe('console.log(1)');
    await app.close();
  });

  it('never serves a file outside the assets folder, nor a source map (the page is public)', async () => {
    const app = Fastify();
    registerWeb(app, { root: fixture() });
    for (const url of [
      '/assets/app-X1.js.map',
      '/assets/..%2Fsecret.env',
      '/assets/%2e%2e%2fsecret.env',
      '/assets/..%2Findex.html',
      '/assets/missing.js',
    ]) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('TOKEN');
      expect(res.body).not.toContain('secret source');
    }
    await app.close();
  });

  it('says how to build the page when it is missing', async () => {
    const app = Fastify();
    registerWeb(app, { root: join(tmpdir(), 'shoplog-web-absent') });
    const res = await app.inject('/');
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-security-policy']).toBe(WEB_CSP);
    expect(res.body).toContain('pnpm build');
    await app.close();
  });

  it('rejects a root that is not a path, naming the option', () => {
    expect(() => registerWeb(Fastify(), { root: 42 as unknown as string })).toThrow(/"root"/);
  });
});
