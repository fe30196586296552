import { ruleOfPlugin } from '../fraud/rules/define.js';
import type { FraudInput } from '../fraud/input.js';
import type { FraudRule, FraudRuleHit, FraudSignals } from '../fraud/rule.js';
import type { SeriesStats } from '../fraud/velocity-store.js';
import { createPipeline } from '../pipeline/pipeline.js';
import { createPluginInstance } from '../plugin-definition.js';
import type { ShoplogPlugin } from '../plugin.js';
import type { ShoplogEvent } from '../schema/kinds.js';
import { sampleEvents } from './samples.js';

/** What the exporter and rule checks need besides the plugin (part of `PluginContractOptions`). */
export interface KindContractOptions {
  plugin: Parameters<typeof createPluginInstance>[0];
  options: unknown;
  events?: ShoplogEvent[];
  /** For an exporter: what its destination holds once the exporter has flushed (e.g. what a local receiver got). */
  delivered?: () => readonly ShoplogEvent[] | Promise<readonly ShoplogEvent[]>;
  /** For a rule: a transaction it must judge with a hit, with the counts and history it then sees. */
  hit?: { input: FraudInput; counts?: number[]; history?: SeriesStats };
}

/** One check of the contract: a name, and a run that throws an `Error` saying what broke. */
export interface KindCheck {
  name: string;
  run(): Promise<void>;
}

/** The error a failed contract check throws (its message says what broke). */
export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';
}
/** Throws a `ContractViolation` with `message` unless `condition` holds. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ContractViolation(message);
}
/** Plugin instance options for the checks: an SDK host that prints nothing. */
export const quiet = { host: 'sdk' as const, warn: () => {} };
const copies = (o: KindContractOptions) =>
  (o.events ?? sampleEvents()).map((e) => JSON.parse(JSON.stringify(e)) as ShoplogEvent);
const what = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function exporterInstance(o: KindContractOptions): Promise<ShoplogPlugin> {
  const instance = (await createPluginInstance(o.plugin, o.options, quiet)) as ShoplogPlugin;
  check(
    typeof instance?.name === 'string' && typeof instance.process === 'function',
    'create() must return { name, process(event) }',
  );
  return instance;
}

/** An exporter receives every event once, delivers it by the time `flush()` resolves, and closes idempotently. */
export function exporterChecks(o: KindContractOptions): KindCheck[] {
  return [
    {
      name: 'receives every event and has delivered each exactly once when flush() resolves: none lost, none duplicated',
      async run() {
        check(
          o.delivered !== undefined,
          "give `delivered`: what the exporter's destination holds, so the suite can see that no event is lost",
        );
        const instance = await exporterInstance(o);
        const errors: unknown[] = [];
        const pipeline = createPipeline({ plugins: [instance], onError: (e) => errors.push(e), circuitBreaker: false });
        const input = copies(o);
        await Promise.all(input.map((e) => pipeline.process(e)));
        await pipeline.flush();
        check(errors.length === 0, `the exporter failed on valid events: ${what(errors[0])}`);
        const ids = (await o.delivered()).map((e) => e.event.id);
        for (const e of input) {
          const n = ids.filter((id) => id === e.event.id).length;
          check(n > 0, `event ${e.event.id} (${e.event.dataset}) was not delivered by the time flush() resolved`);
          check(n === 1, `event ${e.event.id} was delivered ${n} times`);
        }
        await pipeline.close();
      },
    },
    {
      name: 'flushes and closes idempotently: flush and close twice, no throw, nothing delivered again',
      async run() {
        const instance = await exporterInstance(o);
        const pipeline = createPipeline({ plugins: [instance], onError: () => {}, circuitBreaker: false });
        await pipeline.ready;
        const before = o.delivered ? (await o.delivered()).length : 0;
        for (const e of copies(o).slice(0, 3)) await pipeline.process(e);
        await instance.flush?.();
        await instance.flush?.();
        await pipeline.close();
        await pipeline.close();
        await instance.close?.();
        if (o.delivered) {
          const after = (await o.delivered()).length;
          check(after - before === 3, `3 events given, ${after - before} delivered after flush and close twice`);
        }
      },
    },
    {
      name: 'hostile events never throw out of the pipeline and valid neighbours are still delivered',
      async run() {
        const instance = await exporterInstance(o);
        const pipeline = createPipeline({ plugins: [instance], onError: () => {}, circuitBreaker: false });
        const [base, ...rest] = copies(o);
        check(base !== undefined, 'no events to run');
        const hostile = [
          { ...base, event: { ...base.event, id: `${base.event.id.slice(0, -4)}ffff` }, message: 'x'.repeat(100_000) },
          {
            ...base,
            event: { ...base.event, id: `${base.event.id.slice(0, -4)}eeee` },
            labels: { ['k'.repeat(200)]: '\u0000\ud800'.repeat(1000) },
          },
        ] as ShoplogEvent[];
        const good = rest.slice(0, 2);
        await Promise.all([...hostile, ...good].map((e) => pipeline.processTrusted(e)));
        await pipeline.flush();
        if (o.delivered) {
          const ids = new Set((await o.delivered()).map((e) => e.event.id));
          for (const e of good)
            check(ids.has(e.event.id), `valid event ${e.event.id} beside hostile ones was not delivered`);
        }
        await pipeline.close();
      },
    },
  ];
}

async function ruleOf(o: KindContractOptions): Promise<FraudRule> {
  const instance = await createPluginInstance(o.plugin, o.options, quiet);
  try {
    return ruleOfPlugin(instance);
  } catch (error) {
    throw new ContractViolation(what(error));
  }
}

function checkHit(hit: FraudRuleHit | null, label: string): void {
  if (hit === null) return;
  check(typeof hit === 'object', `evaluate() on ${label} returned ${String(hit)}: return a hit or null`);
  check(
    typeof hit.contribution === 'number' &&
      Number.isFinite(hit.contribution) &&
      hit.contribution >= 0 &&
      hit.contribution <= 100,
    `evaluate() on ${label}: contribution ${String(hit.contribution)} is not a number from 0 to 100`,
  );
  check(
    hit.detail === undefined || (typeof hit.detail === 'string' && hit.detail.length <= 500),
    `evaluate() on ${label}: detail must be a string of at most 500 characters`,
  );
}

const signalsFor = (
  rule: FraudRule,
  counts: readonly number[] | undefined,
  history: SeriesStats | undefined,
  now: number,
): FraudSignals => ({
  counts: (rule.counters ?? []).map((_c, i) => counts?.[i] ?? 0),
  history,
  now,
});

/** Transactions a rule must survive: missing fields, extreme numbers, malformed strings, hostile keys. */
function hostileInputs(): FraudInput[] {
  const long = 'x'.repeat(2048);
  return [
    { amount: 0, currency: 'EUR' },
    { amount: Number.MAX_SAFE_INTEGER, currency: 'JPY', timestamp: 0 },
    {
      amount: 1,
      currency: 'BHD',
      email: 'no-at-sign',
      ip: 'not-an-ip',
      userAgent: long,
      userId: 'u',
      cardFingerprint: 'f',
    },
    {
      amount: 5,
      currency: 'EUR',
      email: '@',
      ip: '::',
      ipCountry: 'ZZ',
      billingCountry: 'FR',
      issuerCountry: 'US',
      status: 'declined',
      cardBin: '000000',
    },
    {
      amount: 5,
      currency: 'EUR',
      userId: '__proto__',
      email: 'constructor@prototype',
      deviceId: 'toString',
      transactionId: 'hasOwnProperty',
    },
  ];
}

/** A rule judges a crafted transaction with a valid hit, and never throws on hostile ones. */
export function ruleChecks(o: KindContractOptions): KindCheck[] {
  return [
    {
      name: 'is a rule with an UPPER_SNAKE code, a description, defaulted params and valid counters',
      async run() {
        await ruleOf(o);
      },
    },
    {
      name: 'judges the crafted transaction with a valid hit (a contribution from 0 to 100)',
      async run() {
        check(o.hit !== undefined, 'give `hit`: a transaction the rule must judge with a hit');
        const rule = await ruleOf(o);
        const hit = rule.evaluate(
          o.hit.input,
          signalsFor(rule, o.hit.counts, o.hit.history, o.hit.input.timestamp ?? 1_700_000_000_000),
        );
        check(hit !== null, 'evaluate() returned null on the crafted transaction');
        checkHit(hit, 'the crafted transaction');
      },
    },
    {
      name: 'never throws on hostile transactions and signals, answering null or a valid hit',
      async run() {
        const rule = await ruleOf(o);
        const history: SeriesStats[] = [
          { count: 0, mean: 0, m2: 0 },
          { count: 1e9, mean: 50, m2: 1e12 },
        ];
        for (const input of hostileInputs()) {
          for (const signals of [
            signalsFor(rule, undefined, undefined, 0),
            signalsFor(
              rule,
              (rule.counters ?? []).map(() => 1e9),
              history[1],
              Date.now(),
            ),
            signalsFor(rule, undefined, history[0], Number.MAX_SAFE_INTEGER),
          ]) {
            let hit: FraudRuleHit | null;
            try {
              hit = rule.evaluate(input, signals);
            } catch (error) {
              throw new ContractViolation(`evaluate() threw on ${JSON.stringify(input).slice(0, 120)}: ${what(error)}`);
            }
            checkHit(hit, JSON.stringify(input).slice(0, 120));
          }
        }
      },
    },
  ];
}
