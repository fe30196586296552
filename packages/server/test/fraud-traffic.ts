// Labelled traffic for the server's fraud learning and backtest tests: the core generator's transactions stored
// through the real ingest route, and labels posted through the real feedback route.
import { expect } from 'vitest';
import { createTrafficGenerator, transactionEventFromInput, type LabelledTransaction } from '@shoplog/core';
import { ADMIN_KEY, type TestServer } from './helpers.js';

const DAY = 86_400_000;
/** Labelled traffic of the core generator over the last weeks, with ids unique to the seed. */
export function traffic(seed: number, count = 600): LabelledTransaction[] {
  const generated = createTrafficGenerator({ seed, customers: 300, fraudRate: 0.2, start: Date.now() - 30 * DAY }).take(
    count,
  );
  return generated.map((tx, i) => ({ ...tx, input: { ...tx.input, transactionId: `s${seed}-tx${i}` } }));
}
/** The transaction id of a generated transaction. */
export const idOf = (tx: LabelledTransaction): string => tx.input.transactionId!;

/** Stores the transactions through the bulk ingest route (ingest key), searchable when it returns. */
export async function ingestTraffic(server: TestServer, txs: LabelledTransaction[]): Promise<void> {
  for (let i = 0; i < txs.length; i += 200) {
    const body = txs
      .slice(i, i + 200)
      .map((tx) => JSON.stringify(transactionEventFromInput(tx.input)))
      .join('\n');
    const res = await server.call('/api/logs/_bulk', { key: server.keys.ingest, method: 'POST', body });
    expect(res.status).toBe(200);
  }
  await server.server.stores.logs.refresh();
}
/** POSTs JSON with a key (admin by default). */
export const post = (server: TestServer, path: string, body: unknown, key: string = ADMIN_KEY): Promise<Response> =>
  server.call(path, {
    key,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
/** POSTs a label (ingest key by default). */
export const feedback = (server: TestServer, body: unknown, key = server.keys.ingest): Promise<Response> =>
  post(server, '/api/fraud/feedback', body, key);
/** The JSON of a response. */
export const json = async <T = Record<string, unknown>>(res: Response): Promise<T> => (await res.json()) as T;

/** Labels transactions: the first `fraud` fraud ones as chargebacks, the first `legit` legitimate ones. */
export async function label(
  server: TestServer,
  txs: LabelledTransaction[],
  fraud: number,
  legit: number,
): Promise<number> {
  const chosen = [...txs.filter((x) => x.fraud).slice(0, fraud), ...txs.filter((x) => !x.fraud).slice(0, legit)];
  for (const tx of chosen) {
    const res = await feedback(server, { transaction_id: idOf(tx), label: tx.fraud ? 'chargeback' : 'legitimate' });
    expect(res.status).toBe(201);
  }
  return chosen.length;
}
