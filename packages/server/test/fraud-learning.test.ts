import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFraudScorer, DEFAULT_FRAUD_MODEL } from '@shoplog/core';
import { bootstrap, createServer, type ServerOptions } from '../src/index.js';
import { createFraudLearning } from '../src/fraud-learning.js';
import { ADMIN_KEY, ADMIN_PASSWORD, startTestServer, type TestServer } from './helpers.js';
import { feedback, idOf, ingestTraffic as ingest, json, label, post, traffic } from './fraud-traffic.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('POST /api/fraud/feedback', () => {
  it('stores a label once per transaction and label, in the metadata store', async () => {
    t = await startTestServer();
    const txs = traffic(1, 20);
    await ingest(t, txs);
    const id = idOf(txs[3]!);
    const first = await feedback(t, { transaction_id: id, label: 'chargeback' });
    expect(first.status).toBe(201);
    expect(await json(first)).toMatchObject({
      transaction_id: id,
      label: 'chargeback',
      outcome: 'created',
      transaction_at: new Date(txs[3]!.input.timestamp!).toISOString(),
    });
    // The same label again is a no-op (the first record stays); another label replaces it.
    const again = await feedback(t, { transaction_id: id, label: 'chargeback' });
    expect(again.status).toBe(200);
    expect((await json(again))['outcome']).toBe('unchanged');
    expect(await t.server.stores.meta.countFraudLabels()).toBe(1);
    const relabel = await feedback(t, { transaction_id: id, label: 'legitimate' }, ADMIN_KEY);
    expect(await json(relabel)).toMatchObject({ outcome: 'replaced', label: 'legitimate' });
    // Two posts of a new label at once: one creates it, the other finds it there.
    const other = idOf(txs[4]!);
    const raced = await Promise.all([
      feedback(t, { transaction_id: other, label: 'confirmed_fraud' }),
      feedback(t, { transaction_id: other, label: 'confirmed_fraud' }),
    ]);
    expect(raced.map((r) => r.status).sort()).toEqual([200, 201]);
    expect(await t.server.stores.meta.countFraudLabels()).toBe(2);
    expect(await t.server.stores.meta.getFraudLabel(id)).toMatchObject({
      transactionId: id,
      label: 'legitimate',
      actor: 'key:bootstrap key (SHOPLOG_BOOTSTRAP_KEY)',
      at: txs[3]!.input.timestamp,
    });
  });

  it('answers bad input with 400 and the field path, an unknown transaction with 404, a read-only key with 403', async () => {
    t = await startTestServer();
    const txs = traffic(2, 5);
    await ingest(t, txs);
    const numeric = await feedback(t, { transaction_id: 12345, label: 'chargeback' });
    expect(numeric.status).toBe(400);
    expect((await json<{ error: { issues: { path: string }[] } }>(numeric)).error.issues[0]?.path).toBe(
      'transaction_id',
    );
    const badLabel = await json<{ error: { issues: { path: string; message: string }[] } }>(
      await feedback(t, { transaction_id: idOf(txs[0]!), label: 'fraud' }),
    );
    expect(badLabel.error.issues[0]).toEqual({
      path: 'label',
      message: 'must be one of chargeback, confirmed_fraud, legitimate',
    });
    expect((await feedback(t, { label: 'legitimate' })).status).toBe(400);
    const unknown = await feedback(t, { transaction_id: 's2-tx999', label: 'chargeback' });
    expect(unknown.status).toBe(404);
    expect((await json<{ error: { code: string } }>(unknown)).error.code).toBe('unknown_transaction');
    // A prefix of a stored id, or its words in another order, is not that transaction.
    expect((await feedback(t, { transaction_id: 's2-tx', label: 'chargeback' })).status).toBe(404);
    expect((await feedback(t, { transaction_id: 'tx0-s2', label: 'chargeback' })).status).toBe(404);
    expect((await feedback(t, { transaction_id: idOf(txs[0]!), label: 'chargeback' }, t.keys.read)).status).toBe(403);
    expect(
      (await feedback(t, { transaction_id: idOf(txs[0]!), label: 'chargeback' }, null as unknown as string)).status,
    ).toBe(401);
    expect(await t.server.stores.meta.countFraudLabels()).toBe(0);
  });
});

describe('refit, versions and rollback', () => {
  it('says clearly when there are too few labels and keeps the current model', async () => {
    t = await startTestServer({ fraudScorer: createFraudScorer({}) });
    const txs = traffic(3, 200);
    await ingest(t, txs);
    await label(t, txs, 3, 20);
    const res = await post(t, '/api/fraud/model/refit', {});
    expect(res.status).toBe(422);
    const body = await json<{ error: { code: string; message: string } }>(res);
    expect(body.error.code).toBe('too_few_labels');
    expect(body.error.message).toMatch(
      /at least 50 labels with 5 of each class; there are 23 \(3 fraud, 20 legitimate\)/,
    );
    const models = await json<{ active: string; versions: unknown[] }>(
      await t.call('/api/fraud/models', { key: t.keys.read }),
    );
    expect(models.active).toBe('default');
    expect(models.versions).toHaveLength(1);
    expect(await t.server.stores.meta.listFraudModels(10)).toEqual([]);
  });

  it('refits on the stored labels, lists versions with held-back metrics, rolls back, and keeps the active version across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-refit-'));
    const options: ServerOptions = {
      port: 0,
      ingestPort: -1,
      dataDir: dir,
      logLevel: 'silent',
      bootstrapKey: ADMIN_KEY,
      bootstrapPassword: ADMIN_PASSWORD,
      retentionDays: 0,
    };
    const scorer = createFraudScorer({});
    t = await startTestServer({ ...options, fraudScorer: scorer });
    const txs = traffic(4);
    await ingest(t, txs);
    const labelled = await label(t, txs, 50, 110);
    expect(labelled).toBe(160);
    expect((await post(t, '/api/fraud/model/refit', {}, t.keys.read)).status).toBe(403);
    expect((await post(t, '/api/fraud/model/refit', {}, t.keys.ingest)).status).toBe(403);
    const refit = await post(t, '/api/fraud/model/refit', {});
    expect(refit.status).toBe(201);
    const made = await json<{
      version: string;
      based_on: string;
      trained: { labels: number; fraud: number; missing: number };
      metrics_held_back: { model: { labels: number; precision: number; recall: number } };
    }>(refit);
    expect(made.version).toMatch(/^refit-/);
    expect(made.based_on).toBe('default');
    expect(made.trained.missing).toBe(0);
    expect(made.trained.labels).toBeGreaterThanOrEqual(50);
    expect(made.trained.labels + made.metrics_held_back.model.labels).toBe(labelled);
    expect(made.metrics_held_back.model.recall).toBeGreaterThanOrEqual(0);
    // The live scorer now judges with it.
    expect(scorer.model?.version).toBe(made.version);
    const listed = await json<{
      active: string;
      live: boolean;
      labels: number;
      versions: { version: string; active: boolean; metrics_held_back: unknown }[];
    }>(await t.call('/api/fraud/models', { key: t.keys.read }));
    expect(listed).toMatchObject({ active: made.version, live: true, labels: labelled });
    expect(listed.versions.map((v) => [v.version, v.active])).toEqual([
      [made.version, true],
      ['default', false],
    ]);
    expect(listed.versions[0]!.metrics_held_back).toEqual(made.metrics_held_back);

    expect((await post(t, '/api/fraud/model/rollback', {})).status).toBe(200);
    expect(scorer.model?.version).toBe(DEFAULT_FRAUD_MODEL.version);
    expect((await json<{ active: string }>(await t.call('/api/fraud/models', { key: t.keys.read }))).active).toBe(
      'default',
    );
    expect((await post(t, '/api/fraud/model/rollback', {})).status).toBe(409);
    const unknown = await post(t, '/api/fraud/model/activate', { version: 'refit-nope' });
    expect(unknown.status).toBe(404);
    expect((await post(t, '/api/fraud/model/activate', { version: 42 })).status).toBe(400);
    expect(await json(await post(t, '/api/fraud/model/activate', { version: made.version }))).toEqual({
      active: made.version,
    });

    // A restart on the same data: the active version is restored into the new scorer.
    await t.server.close();
    const scorer2 = createFraudScorer({});
    const again = createServer({ ...options, fraudScorer: scorer2 });
    await bootstrap(again);
    await again.start();
    try {
      expect(scorer2.model?.version).toBe(made.version);
      expect(scorer2.rulesetVersion).toContain(made.version);
    } finally {
      await again.close();
      rmSync(dir, { recursive: true, force: true });
      t = undefined;
    }
  });
});

describe('scheduled refit', () => {
  it('reports too few labels once per label count, refits once labels suffice, and not again until labels change', async () => {
    t = await startTestServer();
    const { logs, meta } = t.server.stores;
    const warnings: string[] = [];
    const scorer = createFraudScorer({});
    const learning = createFraudLearning({ logs, meta, scorer, warn: (message) => warnings.push(message) });
    const txs = traffic(6);
    await ingest(t, txs);
    await label(t, txs, 4, 10);
    await learning.scheduledRefit();
    await learning.scheduledRefit();
    expect(warnings).toEqual([
      'scheduled fraud model refit skipped: a refit needs at least 50 labels with 5 of each class; there are 14 (4 fraud, 10 legitimate): the active model stays',
    ]);
    expect(await meta.listFraudModels(10)).toEqual([]);
    await label(t, txs.slice(200), 50, 100);
    await learning.scheduledRefit();
    const [made] = await meta.listFraudModels(10);
    expect(made).toMatchObject({ trigger: 'scheduled', basedOn: 'default' });
    expect(scorer.model?.version).toBe(made!.version);
    expect(await learning.activeVersion()).toBe(made!.version);
    await learning.scheduledRefit();
    expect(await meta.listFraudModels(10)).toHaveLength(1);
    expect(warnings).toHaveLength(1);
  });
});

describe('OpenAPI', () => {
  it('documents the fraud learning routes with their permissions and body schemas', async () => {
    t = await startTestServer();
    const doc = (await (await t.call('/api/docs/openapi.json', { key: null })).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            description: string;
            requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
          }
        >
      >;
    };
    const permissionOf = (path: string, method: string): string | undefined =>
      /Permission: ([a-z]+)\./.exec(doc.paths[path]?.[method]?.description ?? '')?.[1];
    expect(permissionOf('/api/fraud/feedback', 'post')).toBe('label');
    expect(permissionOf('/api/fraud/models', 'get')).toBe('read');
    expect(permissionOf('/api/fraud/model/refit', 'post')).toBe('admin');
    expect(permissionOf('/api/fraud/model/rollback', 'post')).toBe('admin');
    expect(permissionOf('/api/fraud/model/activate', 'post')).toBe('admin');
    expect(permissionOf('/api/fraud/backtest', 'post')).toBe('analyst');
    expect(permissionOf('/api/fraud/backtest/{id}', 'get')).toBe('analyst');
    expect(
      Object.keys(
        doc.paths['/api/fraud/feedback']!['post']!.requestBody!.content['application/json']!.schema.properties ?? {},
      ),
    ).toEqual(['transaction_id', 'label']);
  });
});
