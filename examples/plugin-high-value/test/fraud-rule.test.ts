import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bootstrap, createServer, loadServerConfig, type PluginHealth, type ShoplogServer } from '@shoplog/server';
import { createFraudScorer, transaction, type ShoplogEvent } from '@shoplog/core';

// The plugin's fraud rule, named by package and export in a shop's config file, judged by the server end to end.
const KEY = 'slk_fraud_rule_plugin_admin_key_0123456';
const dirs: string[] = [];
let server: ShoplogServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Starts the server a config file in a fresh folder describes, with `fraudRules` as given. */
async function serverWith(fraudRules: unknown[]): Promise<{ url: string; get: <T>(path: string) => Promise<T> }> {
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-rule-plugin-'));
  dirs.push(dir);
  const settings = {
    port: 0,
    ingestPort: -1,
    dataDir: join(dir, 'data'),
    bootstrapKey: KEY,
    logLevel: 'silent',
    minFreeDiskMb: 0,
    fraudRules,
  };
  writeFileSync(join(dir, 'shoplog.config.mjs'), `export default ${JSON.stringify(settings)};\n`);
  const loaded = await loadServerConfig({}, dir);
  server = createServer({ ...loaded.config, configDir: loaded.baseDir });
  await bootstrap(server);
  const url = await server.start();
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  return { url, get };
}

const sale = (id: string, value: string): ShoplogEvent =>
  transaction({
    user: { id: `shopper-${id}` },
    shop: {
      transaction: { id, type: 'purchase', status: 'completed' },
      amount: { value, currency: 'EUR' },
      payment: { method: 'card' },
    },
  } as Parameters<typeof transaction>[0]);

async function ingest(url: string, events: ShoplogEvent[]): Promise<void> {
  const res = await fetch(`${url}/api/logs/ingest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  expect(res.status).toBe(201);
  await server?.stores.logs.refresh();
}

type Alerts = {
  alerts: Array<{ transaction_id: string; decision: string; reasons: Array<{ code: string; detail?: string }> }>;
};
type Health = { status: string; plugins: PluginHealth[] };

describe('the example fraud rule plugin, named in a config file', () => {
  it("changes the server's verdict on a large order, with its reason code on /api/fraud and its calls on health", async () => {
    const big = sale('order-big', '900.00');
    // Without the plugin the server's scorer lets this order through.
    expect((await createFraudScorer().score(sale('order-big', '900.00') as never)).decision).toBe('allow');
    const { url, get } = await serverWith([
      { module: 'shoplog-plugin-high-value', export: 'rule', options: { minAmount: 500 } },
    ]);
    await ingest(url, [big, sale('order-small', '20.00')]);
    const { alerts } = await get<Alerts>('/api/fraud/alerts?range=24h');
    expect(alerts.map((a) => a.transaction_id)).toEqual(['order-big']);
    expect(alerts[0]?.decision).toBe('review');
    expect(alerts[0]?.reasons.find((r) => r.code === 'HIGH_VALUE_ORDER')).toMatchObject({
      detail: 'an order of 900 EUR, at least 500',
    });
    const stats = await get<{ top_reasons: Array<{ code: string; count: number }> }>('/api/fraud/stats?range=24h');
    expect(stats.top_reasons).toContainEqual({ code: 'HIGH_VALUE_ORDER', count: 1 });
    const health = await get<Health>('/api/dashboard/health');
    expect(health.plugins.find((p) => p.kind === 'rule')).toEqual({
      name: 'shoplog-plugin-high-value/rule',
      version: '1.0.0',
      kind: 'rule',
      stage: 'fraud',
      state: 'ok',
      calls: 2,
      errors: 0,
      timeouts: 0,
      total_ms: expect.any(Number),
    });
  });

  it('is refused at load with bad options, naming the option; the server starts and never allows a transaction meanwhile', async () => {
    const { url, get } = await serverWith([
      { module: 'shoplog-plugin-high-value', export: 'rule', options: { minAmount: -5 } },
    ]);
    const health = await get<Health>('/api/dashboard/health');
    const [refused] = health.plugins.filter((p) => p.kind === 'rule');
    expect(refused).toMatchObject({ name: 'shoplog-plugin-high-value', state: 'refused' });
    expect(refused?.last_error).toMatch(
      /^fraud rule plugin refused: plugin shoplog-plugin-high-value\/rule: invalid options: minAmount: /,
    );
    expect(health.status).toBe('degraded');
    await ingest(url, [sale('order-1', '20.00')]);
    const { alerts } = await get<Alerts>('/api/fraud/alerts?range=24h');
    expect(alerts).toMatchObject([
      { transaction_id: 'order-1', decision: 'review', reasons: [{ code: 'SCORER_ERROR' }] },
    ]);
  });
});
