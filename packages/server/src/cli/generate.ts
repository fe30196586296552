import { createWriteStream } from 'node:fs';
import { generateTraffic } from '../generator.js';
import { UsageError, type CliArgs } from './args.js';

/** `shoplog generate`: writes realistic NDJSON traffic to a file or stdout, optionally at a given rate. */
export async function generate(args: CliArgs): Promise<void> {
  const { n = '1000', o, rate: rateText, days: daysText = '7' } = args.values as Record<string, string | undefined>;
  const count = Number(n);
  const days = Number(daysText);
  const rate = rateText === undefined ? undefined : Number(rateText);
  if (!Number.isInteger(count) || count < 1) throw new UsageError('generate: -n must be a positive integer');
  if (!Number.isFinite(days) || days <= 0) throw new UsageError('generate: --days must be a positive number');
  if (rate !== undefined && (!Number.isFinite(rate) || rate <= 0))
    throw new UsageError('generate: --rate must be a positive number of events per second');
  const out = o ? createWriteStream(o) : process.stdout;
  const started = Date.now();
  let written = 0;
  for (const event of generateTraffic({ count, days, seed: Date.now() % 1_000_000 })) {
    if (!out.write(`${JSON.stringify(event)}\n`))
      await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    written++;
    if (rate !== undefined) {
      const ahead = (written / rate) * 1000 - (Date.now() - started);
      if (ahead > 5) await new Promise((resolve) => setTimeout(resolve, ahead));
    }
  }
  if (o) await new Promise<void>((resolve) => (out as ReturnType<typeof createWriteStream>).end(resolve));
}
