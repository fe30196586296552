// The embedded store's operations beside ingest: acks and searches while a retention pass deletes a backlog (the
// ratio to the same work alone, in the same run), then an online backup, and erasures by user id and by e-mail.
// Two stores get the same N expired events (generated 32-39 days ago) and then the same N fresh ones, appended in
// batches of 1000 with a search after each batch: store A alone, store B while `expire()` runs.
// Usage: pnpm bench server-ops [--events=100000]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupDataDir, createSqliteLogStore, generateTraffic } from '@shoplog/server';

const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const EVENTS = Number(arg('events', 100_000));
const DAY = 86_400_000;
const root = mkdtempSync(join(tmpdir(), 'shoplog-ops-'));
const old = [...generateTraffic({ count: EVENTS, days: 7, now: Date.now() - 32 * DAY, seed: 5 })];
const fresh = [...generateTraffic({ count: EVENTS, days: 1, seed: 6 })];
const cutoff = Math.floor((Date.now() - 30 * DAY) / 3_600_000) * 3_600_000;
const cutoffs = Object.fromEntries(
  ['transaction', 'error', 'user_behavior', 'performance', 'fraud', 'log'].map((k) => [k, cutoff]),
);
const quantile = (values, q) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];

async function prepared(name) {
  const dir = join(root, name);
  const store = createSqliteLogStore({ path: join(dir, 'events.db') });
  for (let i = 0; i < old.length; i += 5000) await store.appendBatch(old.slice(i, i + 5000));
  await store.refresh();
  return { dir, store };
}

async function ingestAndSearch(store) {
  const searches = [];
  const started = performance.now();
  for (let i = 0; i < fresh.length; i += 1000) {
    await store.appendBatch(fresh.slice(i, i + 1000));
    const t = performance.now();
    await store.search({
      filter: { text: 'payment', range: { from: Date.now() - DAY, to: Date.now() } },
      sort: { field: '@timestamp', order: 'desc' },
      page: 1,
      size: 20,
    });
    searches.push(performance.now() - t);
  }
  const seconds = (performance.now() - started) / 1000;
  return { acks: fresh.length / seconds, p50: quantile(searches, 0.5), p95: quantile(searches, 0.95) };
}

const a = await prepared('a');
const b = await prepared('b');
console.log(`${EVENTS} expired + ${EVENTS} fresh generated events per store`);
const alone = await ingestAndSearch(a.store);
const expireStarted = performance.now();
const expiring = b.store.expire(cutoffs).then((n) => ({ n, seconds: (performance.now() - expireStarted) / 1000 }));
const during = await ingestAndSearch(b.store);
const expired = await expiring;
const fmt = (x) => Math.round(x).toLocaleString('en');
console.log(
  `alone:            ${fmt(alone.acks)} events/s acked (batches of 1000), search p50 ${alone.p50.toFixed(1)} ms p95 ${alone.p95.toFixed(1)} ms`,
);
console.log(
  `during retention: ${fmt(during.acks)} events/s acked, search p50 ${during.p50.toFixed(1)} ms p95 ${during.p95.toFixed(1)} ms`,
);
console.log(`ratio acks ${(during.acks / alone.acks).toFixed(2)}, search p95 ×${(during.p95 / alone.p95).toFixed(2)}`);
console.log(
  `retention pass: ${fmt(expired.n)} events deleted in ${expired.seconds.toFixed(1)} s (${fmt(expired.n / expired.seconds)} events/s, paced)`,
);
await b.store.refresh();

const files = ['events.db', 'events.index.db', 'events.timeline.db'];
const size = (dir) => files.reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
const backupStarted = performance.now();
const manifest = await backupDataDir({ dataDir: b.dir, out: join(root, 'backup') });
const backupSeconds = (performance.now() - backupStarted) / 1000;
console.log(
  `backup: ${fmt(manifest.events)} events, ${(size(join(root, 'backup')) / 1e6).toFixed(1)} MB in ${backupSeconds.toFixed(1)} s`,
);

const [top] = await a.store.terms({}, 'user_id', { size: 1 });
let t = performance.now();
const byUser = await a.store.erase({ userId: top.value });
console.log(
  `erase by user id: ${byUser.events} events in ${(performance.now() - t).toFixed(0)} ms (store of ${fmt(2 * EVENTS)})`,
);
t = performance.now();
const byMail = await a.store.erase({ email: 'nobody@example.com' });
const ms = performance.now() - t;
console.log(
  `erase by e-mail (every document read): ${byMail.events} events in ${ms.toFixed(0)} ms, ${((ms * 1000) / (2 * EVENTS)).toFixed(1)} µs per stored event`,
);

await a.store.close();
await b.store.close();
rmSync(root, { recursive: true, force: true });
