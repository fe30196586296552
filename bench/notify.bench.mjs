// Notification dispatch overhead: what createNotificationDispatcher (grouping, cooldown, queue, retries, metrics)
// adds on top of calling a channel's notify() directly, in one process, same notifications, same order.
//   memory: a channel that only records (the dispatcher's own cost per notification)
//   digest: 1 000 notifications per group within the window, sent as digests (the grouping path)
//   webhook: the signed webhook channel to a local HTTP receiver on 127.0.0.1 (what the overhead is next to real I/O)
// Usage: pnpm bench notify [N=100000] [HTTP_N=2000] [runs=3]
import { createServer } from 'node:http';
import {
  createManualClock,
  createMemoryNotifier,
  createNotificationDispatcher,
  createWebhookNotifier,
} from '@shoplog/plugin-notify';

const N = Number(process.argv[2] ?? 100_000);
const HTTP_N = Number(process.argv[3] ?? 2000);
const RUNS = Number(process.argv[4] ?? 3);
const SECRET = 'bench-secret-0123456789abcdef';

const notification = (i, groups) => ({
  id: `fraud:ev-${i}`,
  type: 'fraud.block',
  group: `fraud:G${i % groups}`,
  title: `Fraud block: transaction tx-${i}`,
  text: `Score 92 (high risk). Reasons: CARD_TESTING, VELOCITY_IP. Amount 1.00 EUR. User u-${i % 97}.`,
  severity: 'warning',
  at: new Date(1_700_000_000_000 + i).toISOString(),
  details: { transactionId: `tx-${i}`, score: 92, reasons: ['CARD_TESTING', 'VELOCITY_IP'] },
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const us = (ms, n) => ((ms * 1000) / n).toFixed(2);

async function direct(notifier, list) {
  const t0 = performance.now();
  for (const n of list) await notifier.notify(n);
  return performance.now() - t0;
}

async function dispatched(channel, list, options = {}) {
  const dispatcher = createNotificationDispatcher({
    channels: { c: channel },
    groupWindowMs: 0,
    cooldownMs: 0,
    maxQueued: list.length,
    ...options,
  });
  const t0 = performance.now();
  for (const n of list) dispatcher.dispatch(n);
  await dispatcher.flush();
  const ms = performance.now() - t0;
  const m = dispatcher.metrics().c;
  await dispatcher.close();
  return { ms, sent: m.sent, failed: m.failed };
}

const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(204).end());
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${receiver.address().port}/hook`;

const rows = {
  'memory: direct notify()': [],
  'memory: dispatcher': [],
  'digest: dispatcher, 1 000 per group': [],
  'webhook: direct notify()': [],
  'webhook: dispatcher': [],
};
let digests = 0;
for (let run = 0; run <= RUNS; run++) {
  const list = Array.from({ length: N }, (_, i) => notification(i, 1000));
  const memDirect = await direct(createMemoryNotifier(), list);
  const mem = await dispatched(createMemoryNotifier(), list);
  // Grouping: N / 1000 groups, each holding 1000 notifications in its window; flush() sends one digest per group.
  const grouped = Array.from({ length: N }, (_, i) => notification(i, N / 1000));
  const sink = createMemoryNotifier();
  const dig = await dispatched(sink, grouped, { groupWindowMs: 60_000, clock: createManualClock() });
  digests = sink.received.length;
  const httpList = list.slice(0, HTTP_N);
  const hookDirect = await direct(createWebhookNotifier({ url, secret: SECRET }), httpList);
  const hook = await dispatched(createWebhookNotifier({ url, secret: SECRET }), httpList);
  if (mem.sent !== N || hook.sent !== HTTP_N || dig.sent !== N / 1000)
    throw new Error(`lost messages: ${JSON.stringify({ mem, hook, dig })}`);
  if (run === 0) continue; // warm-up
  rows['memory: direct notify()'].push(memDirect);
  rows['memory: dispatcher'].push(mem.ms);
  rows['digest: dispatcher, 1 000 per group'].push(dig.ms);
  rows['webhook: direct notify()'].push(hookDirect);
  rows['webhook: dispatcher'].push(hook.ms);
}
receiver.close();

const counts = { memory: N, digest: N, webhook: HTTP_N };
console.log(
  `notify bench: N=${N} (memory, digest), ${HTTP_N} (webhook over 127.0.0.1), median of ${RUNS} runs after a warm-up; Node ${process.version}`,
);
console.log('| path | ms | µs per notification | notifications/s |');
console.log('| --- | --- | --- | --- |');
for (const [name, xs] of Object.entries(rows)) {
  const n = counts[name.split(':')[0]];
  const ms = median(xs);
  console.log(`| ${name} | ${ms.toFixed(1)} | ${us(ms, n)} | ${Math.round((n / ms) * 1000).toLocaleString('en')} |`);
}
const ratio = (a, b) => (median(rows[a]) / median(rows[b])).toFixed(2);
console.log(
  `dispatcher / direct: memory ${ratio('memory: dispatcher', 'memory: direct notify()')}×, webhook ${ratio('webhook: dispatcher', 'webhook: direct notify()')}×; digests sent: ${digests} for ${N} notifications`,
);
