import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, loadServerConfig, type PluginHealth } from '../src/index.js';
import { bulkAll, startTestServer, txEvent, type TestServer, folderWith, removeFolders } from './helpers.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  removeFolders();
});
// Plugin modules as a shop writes them beside its config; a zod-like schema keeps them free of imports.
const ANY = '{ safeParse: (v) => ({ success: true, data: v }) }';
const plugin = (name: string, apiVersion: number, process: string) =>
  `export default { name: '${name}', version: '2.1.0', apiVersion: ${apiVersion}, kind: 'processor', options: ${ANY}, create: () => ({ name: '${name}', process: ${process} }) };\n`;

describe('server config file', () => {
  it('is found in the current directory as shoplog.config.mjs, .js or .json, or named by SHOPLOG_CONFIG; env variables win', async () => {
    const mjs = folderWith({ 'shoplog.config.mjs': "export default { port: 5111, plugins: ['./a.mjs'] };" });
    expect((await loadServerConfig({}, mjs)).config).toMatchObject({ port: 5111, plugins: ['./a.mjs'] });
    const json = folderWith({ 'shoplog.config.json': JSON.stringify({ port: 5112 }) });
    expect((await loadServerConfig({ SHOPLOG_PORT: '5113' }, json)).config.port).toBe(5113);
    const named = folderWith({ 'other.json': JSON.stringify({ port: 5114 }) });
    const loaded = await loadServerConfig({ SHOPLOG_CONFIG: 'other.json' }, named);
    expect(loaded).toMatchObject({ file: join(named, 'other.json'), baseDir: named, config: { port: 5114 } });
    expect((await loadServerConfig({}, folderWith({}))).file).toBeUndefined();
  });

  it('refuses a bad plugins entry and a module without an object, naming the setting', async () => {
    await expect(
      loadServerConfig({}, folderWith({ 'shoplog.config.json': JSON.stringify({ plugins: [{ module: '' }] }) })),
    ).rejects.toThrow(/plugins\[0\]/);
    await expect(loadServerConfig({}, folderWith({ 'shoplog.config.mjs': 'export default 42;' }))).rejects.toThrow(
      /must export default an object of settings/,
    );
  });
});

describe('server plugins by specifier', () => {
  it('run on ingested events, and a failing one shows in the health route and /metrics, then its breaker opens', async () => {
    const dir = folderWith({
      'stamp.mjs': plugin('stamp', 1, "(e) => ({ ...e, labels: { ...e.labels, stamped: 'yes' } })"),
      'flaky.mjs': plugin('flaky', 1, "() => { throw new Error('lookup backend down'); }"),
    });
    t = await startTestServer({ configDir: dir, plugins: ['./stamp.mjs', './flaky.mjs'] });
    const events = Array.from({ length: 6 }, () => txEvent({ amount: '12.00' }));
    await bulkAll(t, events);
    // The failing plugin's policy is `continue`: every event is stored, stamped by the one that works.
    for (const e of events) expect((await t.server.stores.logs.get(e.event.id))?.labels?.stamped).toBe('yes');
    const health = await t.read<{ status: string; plugins: PluginHealth[] }>('/api/dashboard/health');
    expect(health.plugins.filter((p) => p.stage === 'ingest')).toEqual([
      {
        name: 'stamp',
        version: '2.1.0',
        kind: 'processor',
        stage: 'ingest',
        state: 'ok',
        calls: 6,
        errors: 0,
        timeouts: 0,
        total_ms: expect.any(Number),
      },
      {
        name: 'flaky',
        version: '2.1.0',
        kind: 'processor',
        stage: 'ingest',
        state: 'open',
        calls: 5,
        errors: 5,
        timeouts: 0,
        total_ms: expect.any(Number),
        last_error: 'Error: lookup backend down',
      },
    ]);
    expect(health.status).toBe('degraded');
    const metrics = await (await t.call('/metrics')).text();
    expect(metrics).toContain('shoplog_plugin_failures_total{plugin="flaky"} 5');
  });

  it('a plugin for another API version stops the start with a message naming it and both versions', async () => {
    const dir = folderWith({ 'future.mjs': plugin('future', 2, '(e) => e') });
    const data = folderWith({});
    const server = createServer({
      port: 0,
      ingestPort: -1,
      dataDir: data,
      logLevel: 'silent',
      configDir: dir,
      plugins: ['./future.mjs'],
    });
    await expect(server.start()).rejects.toThrow(
      'plugin future@2.1.0 (module "./future.mjs") was written for plugin API 2; this Shoplog implements plugin API 1',
    );
    await server.close();
  });
});
