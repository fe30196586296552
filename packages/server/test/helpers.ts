import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uuidv7, type ShoplogEvent } from '@shoplog/core';
import { bootstrap, createApiKey, createServer, type ServerOptions, type ShoplogServer } from '../src/index.js';

export const ADMIN_KEY = `slk_${'a'.repeat(40)}`;
export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface TestServer {
  server: ShoplogServer;
  url: string;
  keys: { admin: string; read: string; ingest: string };
  dir: string;
  close(): Promise<void>;
  /** fetch with the given key (or none) as Bearer. */
  call(path: string, init?: RequestInit & { key?: string | null }): Promise<Response>;
  /** GET with the read key; fails the test unless the answer is 200, and returns its JSON. */
  read<T>(path: string): Promise<T>;
}

/** A real server on 127.0.0.1 port 0 (HTTP, TCP, UDP) with a temp data dir, an admin user and keys of each scope. */
export async function startTestServer(options: ServerOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-test-'));
  const server = createServer({
    port: 0,
    ingestPort: 0,
    dataDir: dir,
    logLevel: 'silent',
    bootstrapKey: ADMIN_KEY,
    bootstrapPassword: ADMIN_PASSWORD,
    // Fixtures have fixed dates that age past any retention: the tests of retention set it themselves.
    retentionDays: 0,
    ...options,
  });
  await bootstrap(server);
  const read = (await createApiKey(server.stores.meta, 'read', 'read')).key;
  const ingest = (await createApiKey(server.stores.meta, 'ingest', 'ingest')).key;
  const url = await server.start();
  const call: TestServer['call'] = (path, init = {}) => {
    const { key = ADMIN_KEY, headers, ...rest } = init;
    const h = new Headers(headers);
    if (key) h.set('authorization', `Bearer ${key}`);
    return fetch(`${url}${path}`, { ...rest, headers: h });
  };
  return {
    server,
    url,
    dir,
    keys: { admin: ADMIN_KEY, read, ingest },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
    call,
    async read<T>(path: string): Promise<T> {
      const res = await call(path, { key: read });
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
  };
}

/** A valid transaction envelope. */
export function txEvent(
  overrides: {
    amount?: string;
    currency?: string;
    user?: string;
    status?: string;
    ts?: string;
    message?: string;
    method?: string;
  } = {},
): ShoplogEvent {
  const ts = overrides.ts ?? new Date().toISOString();
  return {
    '@timestamp': ts,
    event: { id: uuidv7(), dataset: 'shoplog.transaction' },
    log: { level: 'info' },
    message: overrides.message ?? 'payment accepted',
    service: { name: 'payments' },
    user: { id: overrides.user ?? 'user-1' },
    shop: {
      transaction: { id: `tx-${uuidv7()}`, type: 'purchase', status: (overrides.status ?? 'completed') as 'completed' },
      amount: { currency: overrides.currency ?? 'EUR', value: overrides.amount ?? '10.00' },
      payment: { method: overrides.method ?? 'credit_card' },
    },
  } as ShoplogEvent;
}

/** A valid HTTP performance envelope. */
export function perfEvent(route: string, ms: number, ts = new Date().toISOString()): ShoplogEvent {
  return {
    '@timestamp': ts,
    event: { id: uuidv7(), dataset: 'shoplog.performance', duration: Math.round(ms * 1e6) },
    log: { level: 'info' },
    service: { name: 'storefront' },
    http: { route, response: { status_code: 200 } },
    shop: { performance: { kind: 'http' } },
  } as ShoplogEvent;
}

/** A valid error envelope. */
export function errorEvent(code: string, type: string, message = 'boom', ts = new Date().toISOString()): ShoplogEvent {
  return {
    '@timestamp': ts,
    event: { id: uuidv7(), dataset: 'shoplog.error' },
    log: { level: 'error' },
    message,
    service: { name: 'checkout' },
    error: { type, message, code },
    http: { response: { status_code: Number(code) } },
    shop: { error: { kind: 'exception' } },
  } as ShoplogEvent;
}

/** Ingests `events` (one JSON array, the ingest key) and waits until the store shows them; throws unless all are created. */
export async function ingestAll(t: TestServer, events: readonly ShoplogEvent[]): Promise<void> {
  const res = await t.call('/api/logs/ingest', {
    key: t.keys.ingest,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  if (res.status !== 201) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  await t.server.stores.logs.refresh();
}

/** The answer of `POST /api/logs/_bulk`: counts, and an item for each line that was not created. */
export interface BulkAnswer {
  created: number;
  failed: number;
  items: { line: number; id: string | null; result: string; issues?: { path: string; message: string }[] }[];
}

/** Sends `values` as NDJSON to `_bulk` (the ingest key) and waits until the store shows them; throws unless it answers 200. */
export async function bulkAll(t: TestServer, values: readonly unknown[]): Promise<BulkAnswer> {
  const res = await t.call('/api/logs/_bulk', {
    key: t.keys.ingest,
    method: 'POST',
    body: values.map((v) => JSON.stringify(v)).join('\n'),
  });
  if (res.status !== 200) throw new Error(`_bulk answered ${res.status}: ${await res.text()}`);
  await t.server.stores.logs.refresh();
  return (await res.json()) as BulkAnswer;
}

/** Polls until `check` returns a value other than undefined (no timed assertion: it only bounds the wait). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** An upload job as `GET /api/logs/uploads/:id` shows it. */
export type UploadJobView = {
  status: string;
  total_lines: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  file_type: string;
  failure: string | null;
  errors: { line: number; issues: { path: string; message: string }[] }[];
  preview: unknown[];
};

/** Uploads a file (multipart, or the raw body with `?filename=`) with the ingest key and waits for its job to finish. */
export async function uploadFile(
  t: TestServer,
  body: Blob | Buffer | string,
  filename: string,
  raw = false,
): Promise<{ status: number; job?: UploadJobView; accepted?: { file_type: string } }> {
  let res: Response;
  if (raw) {
    res = await t.call(`/api/logs/upload?filename=${encodeURIComponent(filename)}`, {
      key: t.keys.ingest,
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: body as string,
    });
  } else {
    const form = new FormData();
    form.append('file', body instanceof Blob ? body : new Blob([body]), filename);
    res = await t.call('/api/logs/upload', { key: t.keys.ingest, method: 'POST', body: form });
  }
  if (res.status !== 202) return { status: res.status };
  const accepted = (await res.json()) as { job_id: string; file_type: string };
  const job = await eventually(async () => {
    const view = (await (
      await t.call(`/api/logs/uploads/${accepted.job_id}`, { key: t.keys.read })
    ).json()) as UploadJobView;
    return view.status === 'completed' || view.status === 'failed' ? view : undefined;
    // A job completes once its events are searchable: the index workers run niced, so on a loaded machine that can
    // take far longer than on a quiet one (seen: 18 s). The bound only keeps a hung job from outliving the test.
  }, 25_000);
  return { status: 202, job, accepted };
}

/** Card testing: one user and IP fire 25 small declined attempts within a minute (velocity + card-testing rules). */
export const cardTestingAttempts = (user: string): ShoplogEvent[] =>
  Array.from({ length: 25 }, (_, i) => ({
    ...txEvent({ user, amount: '1.00', status: 'declined', ts: new Date(Date.now() - (25 - i) * 1000).toISOString() }),
    client: { ip: '203.0.113.9' },
  }));
/** A client-side `block` verdict (a `shoplog.fraud` event, reason CLIENT_RULE) for the transaction `tx`. */
export const clientVerdict = (tx: ShoplogEvent): ShoplogEvent =>
  ({
    '@timestamp': tx['@timestamp'],
    event: { id: uuidv7(), dataset: 'shoplog.fraud' },
    log: { level: 'warn' },
    service: { name: 'payments' },
    user: { id: tx.user?.id },
    message: 'client verdict',
    shop: {
      fraud: {
        score: 80,
        risk_level: 'high',
        decision: 'block',
        reasons: [{ code: 'CLIENT_RULE', contribution: 80 }],
        ruleset_version: 'client',
      },
      transaction: { id: (tx.shop as { transaction: { id: string } }).transaction.id },
      amount: { currency: 'EUR', value: '1.00' },
    },
  }) as ShoplogEvent;

const folders: string[] = [];
/** A temp folder holding `files` (name → text), e.g. a config file and plugin modules; see `removeFolders`. */
export function folderWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-folder-'));
  folders.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Removes the folders `folderWith` made (call it after each test). */
export function removeFolders(): void {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
}
