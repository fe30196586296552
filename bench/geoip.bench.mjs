// GeoIP lookups per second on one core: @shoplog/plugin-geoip (lookup and the full process() of an event, cache on
// and off) beside a raw mmdb-lib `reader.get()` loop on the same file, same addresses, same order, in one process.
// Two address streams: `unique` (every address new: what a cache cannot help) and `repeat` (shop traffic: 200k
// lookups over 5k visitors, Zipf-distributed, so a few visitors make many requests). Round 0 is a warm-up.
// Usage: pnpm bench geoip [lookups=200000] [rounds=5] [database.mmdb …]   (default: the bundled DB-IP Lite country)
import { readFileSync } from 'node:fs';
import { createRandom, userBehavior } from '@shoplog/core';
import { createGeoIpProcessor } from '@shoplog/plugin-geoip';
import { Reader } from 'mmdb-lib';

const N = Number(process.argv[2] ?? 200_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const paths = process.argv.slice(4);
const VISITORS = 5_000;

const quiet = { watch: false, onWarning: () => {} };
const withPaths = paths.length > 0 ? { databasePath: paths } : {};
const probe = createGeoIpProcessor({ ...quiet, ...withPaths });
const files = probe.status().map((s) => s.path);
void probe.close();
const buffers = files.map((f) => readFileSync(f));
const readers = buffers.map((b) => new Reader(b));
// The same, with mmdb-lib's decoded-record cache filled (as the `maxmind` package sets it up): an upper bound on what
// any wrapper of the reader can do without remembering addresses.
const cachedReaders = buffers.map((b) => {
  const m = new Map();
  return new Reader(b, { cache: { get: (k) => m.get(k), set: (k, v) => m.set(k, v) } });
});
let sink = 0;
const v4Only = readers.map((r) => r.metadata.ipVersion === 4);
const rawLoop = (list) => (s) => {
  for (const ip of s.ips) {
    const v6 = ip.includes(':');
    for (let i = 0; i < list.length; i++) {
      if (v6 && v4Only[i]) continue;
      if (list[i].get(ip) !== null) {
        sink += 1;
        break;
      }
    }
  }
};

const rand = createRandom(17);
/** A random public address: 80 % IPv4 (special-purpose first octets avoided), 20 % IPv6 in 2000::/4. */
function address() {
  if (rand.next() < 0.8) {
    let a;
    do a = 1 + Math.floor(rand.next() * 223);
    while ([10, 100, 127, 169, 172, 192, 198, 203].includes(a));
    return `${a}.${Math.floor(rand.next() * 256)}.${Math.floor(rand.next() * 256)}.${1 + Math.floor(rand.next() * 254)}`;
  }
  const g = () => Math.floor(rand.next() * 0x10000).toString(16);
  return `2${Math.floor(rand.next() * 16).toString(16)}${Math.floor(rand.next() * 256)
    .toString(16)
    .padStart(2, '0')}:${g()}:${g()}:${g()}::${g()}`;
}
const unique = Array.from({ length: N }, address);
const visitors = Array.from({ length: VISITORS }, address);
// Zipf(s = 1) over the visitors by inverse CDF on the harmonic weights.
const cdf = [];
let total = 0;
for (let k = 1; k <= VISITORS; k++) cdf.push((total += 1 / k));
const pick = () => {
  const x = rand.next() * total;
  let lo = 0;
  let hi = VISITORS - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return visitors[lo];
};
const repeat = Array.from({ length: N }, pick);
const events = (ips) =>
  ips.map((ip) => userBehavior({ shop: { action: 'page_view', session: { id: 's' } }, client: { ip } }));
const streams = { unique: { ips: unique, events: events(unique) }, repeat: { ips: repeat, events: events(repeat) } };

const contenders = {
  // The floor: the reader alone, on addresses already in the form it reads (no parsing, mapping or event).
  'mmdb-lib reader.get (baseline)': () => rawLoop(readers),
  'mmdb-lib reader.get, record cache': () => rawLoop(cachedReaders),
  'plugin lookup(), no cache': () => {
    const p = createGeoIpProcessor({ ...quiet, ...withPaths, cacheSize: 0 });
    return (s) => {
      for (const ip of s.ips) if (p.lookup(ip)) sink += 1;
    };
  },
  'plugin lookup(), cache 10k': () => {
    const p = createGeoIpProcessor({ ...quiet, ...withPaths });
    return (s) => {
      for (const ip of s.ips) if (p.lookup(ip)) sink += 1;
    };
  },
  'plugin process(event), no cache': () => {
    const p = createGeoIpProcessor({ ...quiet, ...withPaths, cacheSize: 0 });
    return (s) => {
      for (const e of s.events) if (p.process(e) !== e) sink += 1;
    };
  },
  'plugin process(event), cache 10k': () => {
    const p = createGeoIpProcessor({ ...quiet, ...withPaths });
    return (s) => {
      for (const e of s.events) if (p.process(e) !== e) sink += 1;
    };
  },
};

const med = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rates = {};
for (let r = 0; r <= ROUNDS; r++) {
  for (const [stream, data] of Object.entries(streams)) {
    for (const [name, make] of Object.entries(contenders)) {
      const run = make(); // a fresh processor each round: the cache starts empty, as after a reload
      const t0 = performance.now();
      run(data);
      const ms = performance.now() - t0;
      if (r === 0) continue;
      (rates[`${stream}|${name}`] ??= []).push((N / ms) * 1000);
    }
  }
}

const meta = readers
  .map((x) => `${x.metadata.databaseType} (built ${x.metadata.buildEpoch.toISOString().slice(0, 10)})`)
  .join(' + ');
console.log(
  `geoip lookups on one core, N=${N} per stream, ${ROUNDS} rounds (+1 warm-up), ${meta}, Node ${process.version}, ${new Date().toISOString()}`,
);
for (const stream of Object.keys(streams)) {
  const base = med(rates[`${stream}|mmdb-lib reader.get (baseline)`]);
  console.log(`\nstream: ${stream}`);
  console.log('| contender | lookups/s (median) | × baseline |');
  console.log('| --- | --- | --- |');
  for (const name of Object.keys(contenders)) {
    const rate = med(rates[`${stream}|${name}`]);
    console.log(`| ${name} | ${Math.round(rate).toLocaleString('en')} | ${(rate / base).toFixed(2)} |`);
  }
}
if (sink < 0) console.log(sink);
