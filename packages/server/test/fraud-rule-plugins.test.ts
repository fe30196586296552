import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, loadServerConfig, type PluginHealth } from '../src/index.js';
import { createServerFraudScorer } from '../src/fraud.js';
import {
  eventually,
  folderWith,
  ingestAll,
  removeFolders,
  startTestServer,
  txEvent,
  type TestServer,
} from './helpers.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  removeFolders();
});
// Rule plugin modules as a shop writes them beside its config (no imports: a zod-like schema that takes anything).
const ANY = '{ safeParse: (v) => ({ success: true, data: v }) }';
const rulePlugin = (name: string, code: string, evaluate: string, apiVersion = 1) =>
  `export default { name: '${name}', version: '3.0.1', apiVersion: ${apiVersion}, kind: 'rule', options: ${ANY},
  create: () => ({ code: '${code}', description: 'a rule', enabledByDefault: true, params: ${ANY}, create: (params) => ({ code: '${code}', params, evaluate: ${evaluate} }) }) };\n`;
const processorPlugin =
  "export default { name: 'stamp', version: '1.0.0', apiVersion: 1, kind: 'processor', options: " +
  ANY +
  ", create: () => ({ name: 'stamp', process: (e) => e }) };\n";

type Alert = { decision: string; transaction_id: string; reasons: Array<{ code: string; detail?: string }> };
const alerts = async (server: TestServer) =>
  (await server.read<{ alerts: Alert[] }>('/api/fraud/alerts?range=24h&limit=100')).alerts;
const rulesOf = async (server: TestServer) =>
  await server.read<{ status: string; plugins: PluginHealth[] }>('/api/dashboard/health');

describe('fraud rule plugins named in the settings', () => {
  it('change the verdict with their reason code, and show their calls and time on health', async () => {
    const dir = folderWith({
      'rush.mjs': rulePlugin(
        'rush-orders',
        'RUSH_ORDER',
        "(input) => (input.amount === 4242 ? { contribution: 95, detail: 'rush delivery to a new address' } : null)",
      ),
    });
    const rush = txEvent({ amount: '42.42' });
    // The same transaction without the plugin is let through.
    expect((await createServerFraudScorer().score(txEvent({ amount: '42.42' }) as never)).decision).toBe('allow');
    t = await startTestServer({ configDir: dir, fraudRules: ['./rush.mjs'] });
    await ingestAll(t, [rush, txEvent({ amount: '12.00', user: 'user-2' })]);
    const found = (await alerts(t)).filter(
      (a) => a.transaction_id === (rush as { shop: { transaction: { id: string } } }).shop.transaction.id,
    );
    expect(found).toHaveLength(1);
    expect(found[0]?.decision).toBe('block');
    expect(found[0]?.reasons.map((r) => r.code)).toContain('RUSH_ORDER');
    expect(found[0]?.reasons.find((r) => r.code === 'RUSH_ORDER')?.detail).toBe('rush delivery to a new address');
    const health = await rulesOf(t);
    expect(health.plugins.filter((p) => p.kind === 'rule')).toEqual([
      {
        name: 'rush-orders',
        version: '3.0.1',
        kind: 'rule',
        stage: 'fraud',
        state: 'ok',
        calls: 2,
        errors: 0,
        timeouts: 0,
        total_ms: expect.any(Number),
      },
    ]);
    expect(health.status).toBe('ok');
  });

  it('a failing rule plugin: every transaction it fails on is judged review (SCORER_ERROR naming it), never allow; its breaker opens', async () => {
    const dir = folderWith({
      'flaky.mjs': rulePlugin('flaky-rule', 'FLAKY', "() => { throw new Error('reputation service down'); }"),
    });
    t = await startTestServer({ configDir: dir, fraudRules: ['./flaky.mjs'] });
    const sales = Array.from({ length: 7 }, (_, i) => txEvent({ amount: '12.00', user: `user-${i}` }));
    await ingestAll(t, sales);
    const judged = await alerts(t);
    expect(judged).toHaveLength(7);
    for (const alert of judged) {
      expect(alert.decision).toBe('review');
      expect(alert.reasons[0]?.code).toBe('SCORER_ERROR');
      expect(alert.reasons[0]?.detail).toMatch(
        /rule plugin flaky-rule (failed: reputation service down|is not called while its circuit breaker is open)/,
      );
    }
    const health = await rulesOf(t);
    expect(health.plugins.find((p) => p.kind === 'rule')).toEqual({
      name: 'flaky-rule',
      version: '3.0.1',
      kind: 'rule',
      stage: 'fraud',
      state: 'open',
      calls: 5,
      errors: 5,
      timeouts: 0,
      total_ms: expect.any(Number),
      last_error: 'Error: reputation service down',
    });
    expect(health.status).toBe('degraded');
    expect(await (await t.call('/metrics')).text()).toContain('shoplog_plugin_failures_total{plugin="flaky-rule"} 5');
  });

  it('refuses a broken or incompatible plugin at load with a message naming it, starts anyway, and judges review until it is fixed', async () => {
    const dir = folderWith({
      'future.mjs': rulePlugin('future-rule', 'FUTURE', '() => null', 2),
      'stamp.mjs': processorPlugin,
      'twin.mjs': rulePlugin('twin-rule', 'HIGH_AMOUNT', '() => null'),
      'fine.mjs': rulePlugin('fine-rule', 'FINE', '() => null'),
    });
    t = await startTestServer({
      configDir: dir,
      fraudRules: ['./future.mjs', './stamp.mjs', './missing.mjs', './twin.mjs', './fine.mjs'],
    });
    const health = await rulesOf(t);
    const rules = health.plugins.filter((p) => p.kind === 'rule');
    expect(rules.map((p) => [p.name, p.state])).toEqual([
      ['./future.mjs', 'refused'],
      ['./stamp.mjs', 'refused'],
      ['./missing.mjs', 'refused'],
      ['twin-rule', 'refused'],
      ['fine-rule', 'ok'],
    ]);
    expect(rules[0]?.last_error).toBe(
      'fraud rule plugin refused: plugin future-rule@3.0.1 (module "./future.mjs") was written for plugin API 2; this Shoplog implements plugin API 1: install a version of the plugin for plugin API 1',
    );
    expect(rules[1]?.last_error).toBe(
      'fraud rule plugin refused: plugin stamp@1.0.0 (module "./stamp.mjs") is a processor; here only rule plugins run',
    );
    expect(rules[2]?.last_error).toMatch(/^fraud rule plugin refused: cannot load plugin module "\.\/missing\.mjs": /);
    expect(rules[3]?.last_error).toBe(
      'fraud rule plugin refused: plugin twin-rule@3.0.1 (module "./twin.mjs"): its rule code HIGH_AMOUNT is already the code of a built-in rule',
    );
    expect(health.status).toBe('degraded');
    await ingestAll(t, [txEvent({ amount: '12.00' })]);
    const [alert] = await alerts(t);
    expect(alert?.decision).toBe('review');
    expect(alert?.reasons[0]).toMatchObject({ code: 'SCORER_ERROR' });
    expect(alert?.reasons[0]?.detail).toContain('fraud rule plugin refused: plugin future-rule@3.0.1');
  });

  it('are read from the config file and SHOPLOG_FRAUD_RULES, and refused beside a scorer of the caller', async () => {
    const dir = folderWith({
      'shoplog.config.mjs': "export default { fraudRules: [{ module: './rush.mjs', options: { minutes: 5 } }] };",
    });
    expect((await loadServerConfig({}, dir)).config.fraudRules).toEqual([
      { module: './rush.mjs', options: { minutes: 5 } },
    ]);
    expect((await loadServerConfig({ SHOPLOG_FRAUD_RULES: '["@acme/rule"]' }, dir)).config.fraudRules).toEqual([
      '@acme/rule',
    ]);
    await expect(loadServerConfig({ SHOPLOG_FRAUD_RULES: '[{"module":""}]' }, dir)).rejects.toThrow(/fraudRules\[0\]/);
    expect(() =>
      createServer({ dataDir: dir, fraudRules: ['./rush.mjs'], fraudScorer: createServerFraudScorer() }),
    ).toThrow(/fraudRules: .*fraudScorer/);
  });
});

describe('notifier plugins named in the notification settings', () => {
  it('a channel from a module is told of the blocks a rule plugin causes, and shows on health with its version', async () => {
    const received: unknown[] = [];
    const receiver = createHttpServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push(JSON.parse(body));
        response.end('ok');
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    try {
      const dir = folderWith({
        'rush.mjs': rulePlugin(
          'rush-orders',
          'RUSH_ORDER',
          '(input) => (input.amount === 4242 ? { contribution: 95 } : null)',
        ),
        'hook.mjs': `export default { name: 'hook-out', version: '0.4.0', apiVersion: 1, kind: 'notifier', options: ${ANY},
          create: ({ url }) => ({ name: 'hook-out', notify: async (n) => { const r = await fetch(url, { method: 'POST', body: JSON.stringify(n) }); if (!r.ok) throw new Error('HTTP ' + r.status); } }) };\n`,
      });
      t = await startTestServer({
        configDir: dir,
        fraudRules: ['./rush.mjs'],
        notifications: {
          channels: [{ name: 'mine', module: './hook.mjs', options: { url } }],
          fraudChannels: ['mine'],
          groupWindowSeconds: 0,
        },
      });
      await ingestAll(t, [txEvent({ amount: '42.42' })]);
      const [notification] = await eventually(async () => (received.length > 0 ? received : undefined));
      expect(notification).toMatchObject({ type: 'fraud.block', text: expect.stringContaining('RUSH_ORDER') });
      const health = await rulesOf(t);
      expect(health.plugins.find((p) => p.kind === 'notifier')).toMatchObject({
        name: 'mine (./hook.mjs)',
        version: '0.4.0',
        stage: 'notifications',
        state: 'ok',
        calls: 1,
        errors: 0,
      });
    } finally {
      receiver.close();
    }
  });

  it('a notifier module for another plugin API, or a channel with both type and module, is refused naming it', async () => {
    const dir = folderWith({
      'old.mjs':
        "export default { name: 'old-hook', version: '0.1.0', apiVersion: 0, kind: 'notifier', options: " +
        ANY +
        ", create: () => ({ name: 'old-hook', notify: async () => {} }) };\n",
    });
    const server = createServer({
      port: 0,
      ingestPort: -1,
      dataDir: folderWith({}),
      logLevel: 'silent',
      configDir: dir,
      notifications: { channels: [{ name: 'old', module: './old.mjs' }] },
    });
    await expect(server.start()).rejects.toThrow(
      'plugin old-hook@0.1.0 (module "./old.mjs") was written for plugin API 0; this Shoplog implements plugin API 1',
    );
    await server.close();
    expect(() =>
      createServer({ dataDir: dir, notifications: { channels: [{ name: 'two', type: 'log', module: './old.mjs' }] } }),
    ).toThrow(/notifications\.channels\[0\]\.type: give either type \(webhook, slack, email, log\) or module/);
  });
});
