// The compiled validator against the plain path it must equal: `validate()` (a parser compiled from the zod schemas,
// zod only for the issues of a rejected input) vs `KIND_SCHEMAS[kind].safeParse()` (zod itself), on the same JSON
// lines of a mix of the kinds, each parsed fresh. Interleaved rounds, this thread's CPU; median µs per event.
// Usage: pnpm bench validate-path [rounds=7] [events=20000]
import { createEvent, KIND_SCHEMAS, kindOfDataset, validate } from '@shoplog/core';

const [rounds = 7, N = 20000] = process.argv.slice(2).map(Number);
const service = { name: 'checkout-api', version: '1.4.2', environment: 'production' };
const lines = [];
for (let i = 0; i < N; i++) {
  const user = { id: `u-${i % 997}` };
  const r = i % 20;
  const event =
    r < 8
      ? createEvent(
          'transaction',
          {
            message: `payment ${i} captured`,
            user,
            client: { ip: '203.0.113.7' },
            http: { request: { method: 'POST' }, route: '/api/checkout' },
            shop: {
              transaction: { id: `tx-${i}`, type: 'purchase', status: 'completed' },
              amount: { value: `${i % 500}.99`, currency: 'EUR' },
              order: { id: `ORD-${i}`, items: 1 + (i % 5) },
            },
          },
          { service },
        )
      : r < 13
        ? createEvent(
            'user_behavior',
            {
              user,
              url: { path: `/products/${i % 300}` },
              shop: { action: 'page_view', session: { id: `s-${i % 400}` }, product: { id: `p-${i % 300}` } },
            },
            { service },
          )
        : r < 16
          ? createEvent(
              'error',
              {
                message: 'upstream timeout',
                error: { type: 'TimeoutError', message: `timed out (order ${i})` },
                shop: { error: { kind: 'timeout' } },
              },
              { service },
            )
          : createEvent(
              'performance',
              {
                event: { duration: 1_000_000 + i },
                http: { request: { method: 'GET' }, response: { status_code: 200 }, route: '/api/products/:id' },
                shop: { performance: { kind: 'http' } },
              },
              { service },
            );
  lines.push(JSON.stringify(event));
}

const variants = {
  'compiled: validate(JSON.parse(line))': () => {
    let ok = 0;
    for (const line of lines) if (validate(JSON.parse(line)).ok) ok++;
    return ok;
  },
  'plain: zod safeParse(JSON.parse(line))': () => {
    let ok = 0;
    for (const line of lines) {
      const input = JSON.parse(line);
      if (KIND_SCHEMAS[kindOfDataset(input.event.dataset)].safeParse(input).success) ok++;
    }
    return ok;
  },
  'JSON.parse(line) alone': () => {
    let ok = 0;
    for (const line of lines) if (JSON.parse(line)) ok++;
    return ok;
  },
};
const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let round = 0; round <= rounds; round++) {
  for (const [name, fn] of Object.entries(variants)) {
    const t0 = process.threadCpuUsage();
    const ok = fn();
    const t = process.threadCpuUsage(t0);
    if (ok !== N) throw new Error(`${name}: ${ok} of ${N} valid`);
    if (round > 0) samples[name].push((t.user + t.system) / N); // round 0 warms up
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(samples['JSON.parse(line) alone']);
for (const [name, xs] of Object.entries(samples))
  console.log(
    `${name.padEnd(42)} ${median(xs).toFixed(2)} µs/event${name.startsWith('JSON') ? '' : `  (${(median(xs) - base).toFixed(2)} beyond the parse)`}`,
  );
const c = median(samples['compiled: validate(JSON.parse(line))']) - base;
const p = median(samples['plain: zod safeParse(JSON.parse(line))']) - base;
console.log(`validation alone: plain / compiled = ${(p / c).toFixed(1)}×`);
