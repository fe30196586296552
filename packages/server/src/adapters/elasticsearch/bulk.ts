import type { Client, estypes } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import type { ShoplogEvent } from '@shoplog/core';
import { kindOfDataset } from '@shoplog/core';
import type { AppendResult } from '../../ports.js';
import { StoreUnavailableError } from '../../ports.js';
import { dataStreamName } from './resources.js';

/** An event Elasticsearch refused for a reason a retry cannot fix (a 4xx other than 409 and 429). */
export class EsRejectedEventError extends Error {
  /** Creates the error; `rejected` lists each refused event with Elasticsearch's reason. */
  constructor(readonly rejected: { id: string; status: number; reason: string }[]) {
    super(
      `Elasticsearch rejected ${rejected.length} event(s): ${rejected
        .slice(0, 3)
        .map((r) => `${r.id} (${r.status} ${r.reason})`)
        .join('; ')}`,
    );
    this.name = 'EsRejectedEventError';
  }
}

/** Whether a client error means "the cluster cannot take this now" (retry later), as opposed to a bad request. */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof errors.ResponseError) return error.statusCode === 429 || (error.statusCode ?? 0) >= 500;
  return (
    error instanceof errors.ConnectionError ||
    error instanceof errors.TimeoutError ||
    error instanceof errors.NoLivingConnectionsError
  );
}

/** Wraps an unavailable-cluster error as the port's `StoreUnavailableError`; other errors pass unchanged. */
export function toStoreError(error: unknown, what: string): unknown {
  return isUnavailable(error)
    ? new StoreUnavailableError(`Elasticsearch unavailable during ${what}`, { cause: error })
    : error;
}

/** Options of one bulk append. */
export interface BulkAppendOptions {
  namespace: string;
  /** Attempts for items answered 429 (or 5xx) before the batch fails as unavailable. */
  attempts: number;
  /** First backoff in milliseconds (doubled, with jitter). */
  backoffMs: number;
}

/**
 * Writes events with `create` actions whose `_id` is `event.id` into their kind's data stream: 201 → created,
 * 409 → duplicate (the same id is already stored). Items refused with 429/5xx are retried alone with backoff;
 * when they still fail the call rejects with `StoreUnavailableError` — a retry of the whole batch is safe, since
 * the stored ones then answer 409. Items refused with another 4xx reject with `EsRejectedEventError`.
 */
export async function bulkAppend(
  client: Client,
  events: readonly ShoplogEvent[],
  options: BulkAppendOptions,
): Promise<AppendResult[]> {
  const results = new Array<AppendResult | undefined>(events.length);
  let pending = events.map((_, i) => i);
  const rejected: { id: string; status: number; reason: string }[] = [];
  for (let attempt = 1; pending.length > 0; attempt++) {
    const operations: (estypes.BulkOperationContainer | ShoplogEvent)[] = [];
    for (const i of pending) {
      const event = events[i]!;
      const kind = kindOfDataset(event.event.dataset) ?? 'error';
      operations.push({ create: { _index: dataStreamName(kind, options.namespace), _id: event.event.id } }, event);
    }
    let response: estypes.BulkResponse;
    try {
      response = await client.bulk({ operations });
    } catch (error) {
      throw toStoreError(error, 'bulk append');
    }
    const retry: number[] = [];
    let lastReason = '';
    response.items.forEach((item, position) => {
      const i = pending[position]!;
      const result = item.create ?? Object.values(item)[0];
      const status = result?.status ?? 500;
      if (status === 201 || status === 200) results[i] = 'created';
      else if (status === 409) results[i] = 'duplicate';
      else if (status === 429 || status >= 500) {
        retry.push(i);
        lastReason = result?.error?.reason ?? String(status);
      } else {
        rejected.push({
          id: events[i]!.event.id,
          status,
          reason: result?.error?.reason ?? result?.error?.type ?? 'rejected',
        });
      }
    });
    if (retry.length > 0 && attempt >= options.attempts) {
      throw new StoreUnavailableError(
        `Elasticsearch refused ${retry.length} event(s) after ${attempt} attempts: ${lastReason}`,
      );
    }
    if (retry.length > 0) {
      const delay = options.backoffMs * 2 ** (attempt - 1);
      await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * (delay / 2)));
    }
    pending = retry;
  }
  if (rejected.length > 0) throw new EsRejectedEventError(rejected);
  return results.map((result) => result ?? 'duplicate');
}
