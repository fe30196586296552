import { afterEach, describe, expect, it } from 'vitest';
import { createFraudScorer } from '@shoplog/core';
import { startTestServer, type TestServer } from './helpers.js';
import { ingestTraffic, json, label, post, traffic } from './fraud-traffic.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

interface Quality {
  flagged: number;
  fraud: number;
  legitimate: number;
  precision: number | null;
  recall: number | null;
}
interface Job {
  id: string;
  status: string;
  version: string;
  report: {
    scanned: number;
    truncated: string | null;
    errors: number;
    decisions: Record<'allow' | 'review' | 'block', number>;
    labels: { fraud: number; legitimate: number };
    overall: Quality;
    byReason: ({ code: string } & Quality)[];
  } | null;
}
const DAY = 86_400_000;

async function backtest(server: TestServer, body: Record<string, unknown>): Promise<Job> {
  const res = await post(server, '/api/fraud/backtest', body);
  expect(res.status).toBe(202);
  let job = await json<Job>(res);
  while (job.status === 'running') {
    await new Promise((resolve) => setTimeout(resolve, 50));
    job = await json<Job>(await server.call(`/api/fraud/backtest/${job.id}`));
  }
  expect(job.status).toBe('done');
  return job;
}

describe('POST /api/fraud/backtest', () => {
  it('scores the stored transactions of a window again and measures the decisions against the labels, overall and per reason', async () => {
    t = await startTestServer();
    const txs = traffic(5, 400);
    await ingestTraffic(t, txs);
    await label(t, txs, 30, 60);
    const window = {
      from: new Date(Date.now() - 40 * DAY).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
    };
    const job = await backtest(t, { ...window, version: 'rules' });
    const r = job.report!;
    expect(job.version).toBe('rules');
    expect(r.scanned).toBe(400);
    expect(r.truncated).toBeNull();
    expect(r.decisions.allow + r.decisions.review + r.decisions.block + r.errors).toBe(400);
    expect(r.labels).toEqual({ fraud: 30, legitimate: 60 });

    // The same transactions scored here, in time order, by the same rules: the same flags, and the same quality.
    const local = createFraudScorer({ combine: 'noisy-or' });
    const labelled = new Map(
      [...txs.filter((x) => x.fraud).slice(0, 30), ...txs.filter((x) => !x.fraud).slice(0, 60)].map((x) => [
        x.input.transactionId!,
        x.fraud,
      ]),
    );
    const decisions = { allow: 0, review: 0, block: 0 };
    let tp = 0;
    let fp = 0;
    const perReason = new Map<string, number>();
    for (const tx of txs) {
      const result = local.scoreSync(tx.input);
      decisions[result.decision]++;
      if (result.decision === 'allow') continue;
      const fraud = labelled.get(tx.input.transactionId!);
      if (fraud === true) tp++;
      if (fraud === false) fp++;
      for (const reason of result.reasons) perReason.set(reason.code, (perReason.get(reason.code) ?? 0) + 1);
    }
    expect(r.decisions).toEqual(decisions);
    expect(r.overall).toMatchObject({ flagged: decisions.review + decisions.block, fraud: tp, legitimate: fp });
    expect(r.overall.recall).toBeCloseTo(tp / 30, 3);
    if (tp + fp > 0) expect(r.overall.precision).toBeCloseTo(tp / (tp + fp), 3);
    expect(Object.fromEntries(r.byReason.map((q) => [q.code, q.flagged]))).toEqual(Object.fromEntries(perReason));
    for (const q of r.byReason)
      if (q.fraud + q.legitimate > 0) expect(q.precision).toBeCloseTo(q.fraud / (q.fraud + q.legitimate), 3);

    // The active version (the built-in model here), and a cap on the transactions.
    const model = await backtest(t, window);
    expect(model.version).toBe('default');
    expect(model.report!.scanned).toBe(400);
    const capped = await backtest(t, { ...window, version: 'default', limit: 120 });
    expect(capped.report).toMatchObject({ scanned: 120, truncated: 'max_transactions' });
  });

  it('refuses a huge window, wrong types, an unknown version and keys without the analyst permission', async () => {
    t = await startTestServer();
    const issue = async (body: unknown, key?: string): Promise<{ status: number; path: string | undefined }> => {
      const res = await post(t!, '/api/fraud/backtest', body, key);
      const parsed = await json<{ error?: { issues?: { path: string }[] } }>(res);
      return { status: res.status, path: parsed.error?.issues?.[0]?.path };
    };
    expect(await issue({ from: '2000-01-01T00:00:00Z', to: new Date().toISOString() })).toEqual({
      status: 400,
      path: 'to',
    });
    expect(await issue({ from: 0 })).toEqual({ status: 400, path: 'to' });
    expect(await issue({ from: { $gt: 0 } })).toEqual({ status: 400, path: 'from' });
    expect(await issue({ to: 'yesterday' })).toEqual({ status: 400, path: 'to' });
    expect(await issue({ limit: '5' })).toEqual({ status: 400, path: 'limit' });
    expect(await issue({ limit: 10_000_000 })).toEqual({ status: 400, path: 'limit' });
    expect(await issue({ version: 7 })).toEqual({ status: 400, path: 'version' });
    expect(await issue({ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' })).toEqual({
      status: 400,
      path: 'to',
    });
    expect(await issue({ version: 'refit-nope' })).toEqual({ status: 404, path: 'version' });
    expect((await issue({}, t.keys.read)).status).toBe(403);
    expect((await issue({}, t.keys.ingest)).status).toBe(403);
    expect((await t.call('/api/fraud/backtest/nope')).status).toBe(404);
    expect((await t.call('/api/fraud/backtest/nope', { key: t.keys.read })).status).toBe(403);
  });
});
