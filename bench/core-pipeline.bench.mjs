// Core pipeline throughput: JSON.parse + normalize (→ validate) + redact of a realistic mix of the five kinds (80 %
// envelopes, 20 % seed-platform flat shapes), beside plain JSON.parse of the same payloads as the ceiling.
// Variants run interleaved in ROUNDS short rounds and the median is reported, so a noisy neighbour hits them alike.
// Usage: pnpm bench core-pipeline [--seconds=2] [--rounds=5] [--events=5000]
import { createEvent, createNormalizer, createPipeline, createRedactor, validate } from '@shoplog/core';

const arg = (name, dflt) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const SECONDS = arg('seconds', 2);
const EVENTS = arg('events', 5000);
const ROUNDS = arg('rounds', 5);

let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const service = { name: 'checkout-api', version: '1.4.2', environment: 'production' };
const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
];
const headers = () => ({
  'content-type': 'application/json',
  'user-agent': pick(UAS),
  authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2ln',
  cookie: 'connect.sid=s%3Aabc123; theme=dark',
  'x-request-id': `req-${Math.floor(rand() * 1e9)}`,
});

// The seed generator's mix: transaction 40 %, user_behavior 25 %, error 15 %, performance 15 %, fraud 5 %.
function envelope(i) {
  const r = rand();
  const user = { id: `u-${i % 997}` };
  if (r < 0.4) {
    return createEvent(
      'transaction',
      {
        message: rand() < 0.05 ? 'charge failed for card 4242 4242 4242 4242' : `payment ${i} captured`,
        user,
        client: { ip: '203.0.113.7' },
        http: { request: { method: 'POST', headers: headers() }, route: '/api/checkout' },
        shop: {
          transaction: {
            id: `tx-${i}`,
            type: 'purchase',
            status: pick(['completed', 'completed', 'pending', 'declined']),
          },
          amount: { value: (rand() * 500).toFixed(2), currency: pick(['EUR', 'USD', 'GBP']) },
          order: { id: `ORD-2026-${String(i).padStart(8, '0')}`, items: 1 + (i % 5) },
          payment: { method: pick(['credit_card', 'paypal', 'apple_pay']), card: { last4: '4242', brand: 'visa' } },
        },
      },
      { service },
    );
  }
  if (r < 0.65) {
    return createEvent(
      'user_behavior',
      {
        user,
        user_agent: { original: pick(UAS) },
        url: { path: `/products/${i % 300}` },
        shop: {
          action: pick(['page_view', 'add_to_cart', 'search', 'checkout_started']),
          session: { id: `s-${i % 400}` },
          product: { id: `p-${i % 300}` },
        },
      },
      { service },
    );
  }
  if (r < 0.8) {
    return createEvent(
      'error',
      {
        message: 'upstream timeout',
        http: { request: { method: 'GET' }, response: { status_code: 504 }, route: '/api/products/:id' },
        error: {
          type: 'TimeoutError',
          message: `inventory service timed out after 3000 ms (order ${i})`,
          stack_trace: 'TimeoutError: …\n    at fetchStock (inventory.js:88:11)',
        },
        shop: { error: { kind: 'timeout' } },
      },
      { service },
    );
  }
  if (r < 0.95) {
    return createEvent(
      'performance',
      {
        event: { duration: Math.round(rand() * 2e8) },
        http: { request: { method: 'GET' }, response: { status_code: 200 }, route: '/api/products/:id' },
        shop: { performance: { kind: 'http', cache_hit: rand() < 0.7, db_duration: Math.round(rand() * 5e7) } },
      },
      { service },
    );
  }
  return createEvent(
    'fraud',
    {
      user,
      shop: {
        fraud: {
          score: 80,
          risk_level: 'high',
          decision: 'block',
          reasons: [
            { code: 'VELOCITY_USER', contribution: 50 },
            { code: 'HIGH_AMOUNT', contribution: 30 },
          ],
          ruleset_version: '2026.11',
        },
        transaction: { id: `tx-${i}` },
        amount: { value: '1999.00', currency: 'EUR' },
      },
    },
    { service },
  );
}

function seedShape(i) {
  const r = rand();
  const ts = '2026-11-26 10:00:00';
  if (r < 0.4)
    return {
      timestamp: ts,
      log_type: 'transaction',
      level: 'INFO',
      service: 'payment-service',
      transaction_id: `TXN-${i}`,
      user_id: i % 997,
      amount: Number((rand() * 500).toFixed(2)),
      currency: 'EUR',
      payment_method: 'credit_card',
      status: 'completed',
      transaction_type: 'purchase',
      merchant_id: 'M-1',
    };
  if (r < 0.65)
    return {
      timestamp: ts,
      log_type: 'user_behavior',
      level: 'INFO',
      user_id: `user_${i % 997}`,
      action: 'page_view',
      page: '/home',
      session_id: `sess_${i % 400}`,
      duration_ms: 1200,
      user_agent: pick(UAS),
    };
  if (r < 0.8)
    return {
      timestamp: ts,
      log_type: 'error',
      level: 'ERROR',
      error_code: 500,
      error_type: 'DatabaseError',
      error_message: 'pool exhausted',
      endpoint: '/api/checkout',
    };
  if (r < 0.95)
    return {
      timestamp: ts,
      log_type: 'performance',
      level: 'INFO',
      endpoint: '/api/products',
      method: 'GET',
      response_time: 120.5,
      status_code: 200,
      db_query_time: 40,
      cache_hit: true,
    };
  return {
    timestamp: ts,
    log_type: 'fraud',
    level: 'WARNING',
    transaction_id: `TXN-${i}`,
    user_id: 'user_5',
    fraud_score: 80,
    fraud_detected: true,
    fraud_indicators: ['high_amount'],
    amount: 12500,
    location: 'NG',
  };
}

const payloads = Array.from({ length: EVENTS }, (_, i) => JSON.stringify(rand() < 0.8 ? envelope(i) : seedShape(i)));
const bytes = payloads.reduce((n, p) => n + p.length, 0);
const normalize = createNormalizer();
const redactor = createRedactor();

const pipeline = createPipeline({ input: 'normalize', plugins: [createRedactor()], onError: () => {} });

const variants = [
  ['JSON.parse (ceiling)', (p) => JSON.parse(p) !== null],
  ['JSON.parse + validate (envelopes only; the seed shapes fail)', (p) => validate(JSON.parse(p)).ok],
  ['JSON.parse + normalize (→ validate)', (p) => normalize(JSON.parse(p)).ok],
  [
    'JSON.parse + normalize + redact',
    (p) => {
      const r = normalize(JSON.parse(p));
      return r.ok && redactor.redact(r.event) !== null;
    },
  ],
  [
    "JSON.parse + pipeline.process (input: 'normalize', plugins: [redactor])",
    (p) => pipeline.process(JSON.parse(p)) !== null,
  ],
];

function round(fn, seconds) {
  let count = 0;
  let ok = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < deadline) {
    for (const p of payloads) if (fn(p)) ok++;
    count += payloads.length;
    now = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpu0);
  // CPU time per event is less inflated than wall time when other work shares the cores.
  return { rate: count / (Number(now - start) / 1e9), cpuUs: (cpu.user + cpu.system) / count, okShare: ok / count };
}

for (const [, fn] of variants) for (let i = 0; i < Math.min(payloads.length, 2000); i++) fn(payloads[i]); // warm-up
const samples = variants.map(() => []);
const cpuSamples = variants.map(() => []);
let okShares = variants.map(() => 0);
for (let r = 0; r < ROUNDS; r++) {
  variants.forEach(([, fn], v) => {
    const res = round(fn, SECONDS / ROUNDS);
    samples[v].push(res.rate);
    cpuSamples[v].push(res.cpuUs);
    okShares[v] = res.okShare;
  });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = variants.map(([label], v) => ({
  label,
  rate: median(samples[v]),
  cpuUs: median(cpuSamples[v]),
  okShare: okShares[v],
}));

const ceiling = results[0];
console.log(
  `core-pipeline: ${EVENTS} payloads (${(bytes / EVENTS).toFixed(0)} B avg; 80 % envelopes, 20 % seed shapes), ${SECONDS} s per line in ${ROUNDS} interleaved rounds (median), Node ${process.version}`,
);
console.log('| what | events/s (wall) | µs CPU / event | events/s per core (1 / CPU) | vs JSON.parse (CPU) | valid |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  console.log(
    `| ${r.label} | ${fmt(r.rate)} | ${r.cpuUs.toFixed(2)} | ${fmt(1e6 / r.cpuUs)} | ${(ceiling.cpuUs / r.cpuUs).toFixed(2)}× | ${(r.okShare * 100).toFixed(0)} % |`,
  );
}
