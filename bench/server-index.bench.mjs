// The index worker alone: an events file of N generated events is written directly (no HTTP, no indexing), then a
// store is opened on it with no index file and `refresh()` waits until the worker has indexed every event. The
// main thread is idle meanwhile, so the process CPU time is the worker's (its thread CPU is printed as well).
// Usage: pnpm bench server-index [--events=100000] [--rounds=2] [--batch=<indexBatchSize>] [--dist=<path to a server dist/index.js>]
// (`--dist` runs another build, e.g. main's, on the same events: an A/B in one run.)
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { pathToFileURL } from 'node:url';

const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const EVENTS = Number(arg('events', 100_000));
const ROUNDS = Number(arg('rounds', 2));
const BATCH = arg('batch', undefined);
const dists = process.argv.filter((a) => a.startsWith('--dist=')).map((a) => a.slice('--dist='.length));
const builds = [{ name: 'this build', mod: await import('@shoplog/server') }];
for (const path of dists) builds.push({ name: path, mod: await import(pathToFileURL(path).href) });

const dir = mkdtempSync(join(tmpdir(), 'shoplog-index-'));
const source = join(dir, 'source.db');
{
  const db = new DatabaseSync(source);
  db.exec(
    'PRAGMA journal_mode=DELETE; CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, ts INTEGER NOT NULL, doc TEXT NOT NULL); CREATE UNIQUE INDEX events_id ON events(id);',
  );
  const insert = db.prepare('INSERT INTO events (id, ts, doc) VALUES (?, ?, ?)');
  db.exec('BEGIN');
  for (const event of builds[0].mod.generateTraffic({ count: EVENTS, days: 7, seed: 11 }))
    insert.run(event.event.id, Date.parse(event['@timestamp']), JSON.stringify(event));
  db.exec('COMMIT');
  db.close();
}
/** Whether a build's events file keeps the id in each row (the layout before the `event_ids` table). */
async function hasIdColumn(build) {
  if (build.idColumn === undefined) {
    const path = join(dir, `probe-${builds.indexOf(build)}.db`);
    await build.mod.createSqliteLogStore({ path, readers: 0 }).close();
    const db = new DatabaseSync(path);
    build.idColumn = db.prepare("SELECT 1 FROM pragma_table_info('events') WHERE name = 'id'").get() !== undefined;
    db.close();
  }
  return build.idColumn;
}

/** The source in the layout of a build with `event_ids` (ids as 16 bytes), untimed, so its open moves nothing. */
function toIdTable(path) {
  const db = new DatabaseSync(path);
  db.exec(`CREATE TABLE events_next (seq INTEGER PRIMARY KEY, doc TEXT NOT NULL);
    CREATE TABLE event_ids (id BLOB PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO events_next SELECT seq, doc FROM events;
    INSERT INTO event_ids SELECT unhex(replace(id, '-', '')), seq FROM events;
    DROP TABLE events; ALTER TABLE events_next RENAME TO events;`);
  db.close();
}

console.log(
  `${EVENTS} generated events over 7 days; index rebuilt from scratch, ${ROUNDS} round(s) per build, interleaved`,
);

for (let round = 1; round <= ROUNDS; round++) {
  for (const [b, build] of builds.entries()) {
    const path = join(dir, `events-${round}-${b}.db`);
    copyFileSync(source, path);
    if (!(await hasIdColumn(build))) toIdTable(path);
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    const store = build.mod.createSqliteLogStore({ path, ...(BATCH ? { indexBatchSize: Number(BATCH) } : {}) });
    await store.refresh();
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const probe = await store.search({
      filter: { text: 'payment' },
      sort: { field: '@timestamp', order: 'desc' },
      page: 1,
      size: 1,
    });
    await store.close();
    const us = (cpu.user + cpu.system) / EVENTS;
    console.log(
      `round ${round} ${build.name}: ${Math.round(EVENTS / seconds).toLocaleString('en')} events/s, ${us.toFixed(1)} µs CPU/event (process), probe total ${probe.total}`,
    );
  }
}
rmSync(dir, { recursive: true, force: true });
