import { createMemoryExporter } from '../pipeline/memory-exporter.js';
import { createPipeline } from '../pipeline/pipeline.js';
import {
  createPluginInstance,
  PLUGIN_API_VERSION,
  type Notification,
  type Notifier,
  type PluginDefinition,
  type PluginKind,
} from '../plugin-definition.js';
import type { ShoplogPlugin } from '../plugin.js';
import type { ShoplogEvent } from '../schema/kinds.js';
import { validate } from '../validate.js';
import { check, exporterChecks, quiet, ruleChecks, type KindContractOptions } from './kinds.js';
import { sampleEvents } from './samples.js';

/** What the contract suite checks a plugin with. */
export interface PluginContractOptions {
  /** The plugin as its package exports it (`definePlugin(...)`). */
  plugin: PluginDefinition;
  /** Options that create a working instance (point it at a real local receiver or a test database). */
  options: unknown;
  /** Options its schema must refuse, and the option path the error must name. */
  badOptions: { options: unknown; path: string };
  /** Events a processor is run on. @default sampleEvents(): every kind, with public, private and invalid addresses */
  events?: ShoplogEvent[];
  /** A notification a notifier is asked to deliver. @default a firing alert */
  notification?: Notification;
  /** Called after a notifier's delivery: resolves once the receiver saw the notification (for example a local HTTP server). */
  received?: (notification: Notification) => Promise<void>;
  /** An exporter: what its destination holds once it has flushed (every event given must be there exactly once). */
  delivered?: KindContractOptions['delivered'];
  /** A fraud rule: a transaction it must judge with a hit (and the velocity counts and history it then sees). */
  hit?: KindContractOptions['hit'];
  /** Told apart in the test names when a plugin runs the suite more than once (e.g. `'city database'`). @default none */
  title?: string;
}

/** One check of the contract: a name, and a run that throws an `Error` saying what broke. */
export interface ContractCheck {
  name: string;
  run(): Promise<void>;
}

/** The part of a test runner the suite registers its checks with (vitest, jest, mocha and node:test all fit). */
export interface TestRunner {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: () => Promise<void>): unknown;
}

const plain = (value: unknown): string => JSON.stringify(value);

function definitionChecks(o: PluginContractOptions): ContractCheck[] {
  const { plugin } = o;
  return [
    {
      name: 'declares its name, semver version, kind and the plugin API it was written for',
      async run() {
        check(typeof plugin.name === 'string' && plugin.name.length > 0, 'name must be a non-empty string');
        check(/^\d+\.\d+\.\d+/.test(plugin.version), `version ${plugin.version} is not semver`);
        check(
          plugin.apiVersion === PLUGIN_API_VERSION,
          `apiVersion ${plugin.apiVersion} is not this core's ${PLUGIN_API_VERSION}`,
        );
        check(
          (['processor', 'exporter', 'rule', 'notifier'] as PluginKind[]).includes(plugin.kind),
          `kind ${String(plugin.kind)} is unknown`,
        );
      },
    },
    {
      name: 'refuses bad options with one error naming the plugin and the option',
      async run() {
        let message: string | undefined;
        try {
          await createPluginInstance(plugin, o.badOptions.options, quiet);
        } catch (error) {
          message = error instanceof Error ? error.message : String(error);
        }
        check(message !== undefined, `options ${plain(o.badOptions.options)} were accepted`);
        check(message.includes(`plugin ${plugin.name}`), `the error does not name the plugin: ${message}`);
        check(
          message.includes(o.badOptions.path),
          `the error does not name the option ${o.badOptions.path}: ${message}`,
        );
      },
    },
  ];
}

async function processorInstance(o: PluginContractOptions): Promise<ShoplogPlugin> {
  const instance = (await createPluginInstance(o.plugin, o.options, quiet)) as ShoplogPlugin;
  check(
    typeof instance?.name === 'string' && typeof instance.process === 'function',
    'create() must return { name, process(event) }',
  );
  return instance;
}

function processorChecks(o: PluginContractOptions): ContractCheck[] {
  const events = () => (o.events ?? sampleEvents()).map((e) => JSON.parse(JSON.stringify(e)) as ShoplogEvent);
  return [
    {
      name: 'passes every event on exactly once, valid, or drops it by returning null: none lost, none duplicated',
      async run() {
        const instance = await processorInstance(o);
        const exporter = createMemoryExporter();
        const errors: unknown[] = [];
        const pipeline = createPipeline({
          plugins: [instance, exporter],
          onError: (e) => errors.push(e),
          circuitBreaker: false,
        });
        const input = events();
        await Promise.all(input.map((e) => pipeline.process(e)));
        await pipeline.close();
        check(errors.length === 0, `the plugin failed on valid events: ${String(errors[0])}`);
        const m = pipeline.metrics();
        const ids = exporter.events.map((e) => e.event.id);
        check(new Set(ids).size === ids.length, 'an event reached the exporter twice');
        const given = new Set(input.map((e) => e.event.id));
        const passed = ids.filter((id) => given.has(id)).length;
        check(
          passed + m.dropped.filtered === input.length,
          `${input.length} events in, ${passed} out and ${m.dropped.filtered} dropped: some were lost`,
        );
        check(ids.length === passed + m.emitted, 'events reached the exporter that neither came in nor were emitted');
        for (const event of exporter.events) {
          const result = validate(event);
          check(result.ok, `an event left the plugin invalid: ${result.ok ? '' : plain(result.issues[0])}`);
        }
      },
    },
    {
      name: 'keeps its capabilities honest: a read-only plugin changes no event, a synchronous one returns no promise',
      async run() {
        const instance = await processorInstance(o);
        const caps = o.plugin.capabilities ?? {};
        for (const event of events()) {
          const before = plain(event);
          const out = instance.process(event);
          if (caps.async !== true)
            check(!(out instanceof Promise), 'process() returned a promise; declare capabilities: { async: true }');
          const result = await out;
          if (caps.mutates === false) {
            check(
              plain(event) === before && (result === null || plain(result) === before),
              'process() changed an event; declare capabilities: { mutates: true }',
            );
          }
        }
        await instance.close?.();
      },
    },
    {
      name: 'flushes and closes idempotently, and never throws out of flush or close twice',
      async run() {
        const instance = await processorInstance(o);
        const pipeline = createPipeline({
          plugins: [instance, createMemoryExporter()],
          circuitBreaker: false,
          onError: () => {},
        });
        await pipeline.ready;
        for (const event of events().slice(0, 3)) await pipeline.process(event);
        await instance.flush?.();
        await instance.flush?.();
        await pipeline.close();
        await pipeline.close();
        // A second close() on the instance itself (hosts may close what they created): it must not throw.
        await instance.close?.();
      },
    },
    {
      name: 'errors surface per policy: hostile events never throw out of the pipeline and valid neighbours are not lost',
      async run() {
        const instance = await processorInstance(o);
        const exporter = createMemoryExporter();
        const errors: { plugin: string }[] = [];
        const pipeline = createPipeline({
          plugins: [instance, exporter],
          onError: (_e, info) => errors.push(info),
          circuitBreaker: false,
        });
        const base = events()[0] as ShoplogEvent;
        const hostile = [
          {
            ...base,
            event: { ...base.event, id: `${base.event.id.slice(0, -4)}ffff` },
            client: { ip: '9'.repeat(5000) },
          },
          {
            ...base,
            event: { ...base.event, id: `${base.event.id.slice(0, -4)}eeee` },
            labels: { ['x'.repeat(200)]: 'y'.repeat(10_000) },
          },
        ] as ShoplogEvent[];
        const good = events().slice(1, 3);
        // As hosts that trust their producer hand them over (the transports, the server after its own limits).
        const results = await Promise.all([...hostile, ...good].map((e) => pipeline.processTrusted(e)));
        await pipeline.flush();
        check(results.length === 4, 'process() must answer every input');
        for (const e of good)
          check(
            exporter.events.some((x) => x.event.id === e.event.id) || pipeline.metrics().dropped.filtered > 0,
            'a valid event beside hostile ones was lost',
          );
        // Errors are fine; each must name the plugin that failed, and under the default policy the event goes on.
        for (const info of errors)
          check(info.plugin === instance.name, `an error was reported for ${info.plugin}, not ${instance.name}`);
        const m = pipeline.metrics();
        check(m.dropped.plugin === 0, 'under the continue policy a failing plugin must not drop events');
        await pipeline.close();
      },
    },
  ];
}

const FIRING: Notification = {
  id: 'contract:alert:1',
  type: 'alert.firing',
  group: 'alert:contract',
  title: 'Firing: contract check',
  text: 'error rate 12% over the last 5m, above the threshold of 5.',
  severity: 'warning',
  at: '2026-01-01T00:00:00.000Z',
  details: { rule: 'contract check' },
};

function notifierChecks(o: PluginContractOptions): ContractCheck[] {
  const notification = o.notification ?? FIRING;
  return [
    {
      name: 'delivers a notification (the receiver sees it) and closes idempotently',
      async run() {
        const instance = (await createPluginInstance(o.plugin, o.options, quiet)) as Notifier;
        check(typeof instance?.notify === 'function', 'create() must return { name, notify(notification) }');
        const pending = instance.notify(notification);
        check(pending instanceof Promise, 'notify() must return a promise');
        await pending;
        await o.received?.(notification);
        await instance.close?.();
        await instance.close?.();
      },
    },
  ];
}

/** The checks every plugin of its kind must pass, as plain functions (for any runner, or none). */
export function pluginContractChecks(options: PluginContractOptions): ContractCheck[] {
  const kind = options.plugin.kind;
  const byKind: Record<string, (o: PluginContractOptions) => ContractCheck[]> = {
    processor: processorChecks,
    exporter: exporterChecks,
    rule: ruleChecks,
    notifier: notifierChecks,
  };
  const own = byKind[kind]?.(options) ?? [];
  return [...definitionChecks(options), ...own];
}

/** Registers the contract checks as tests of the caller's runner: `runPluginContract(plugin, { describe, it })`. */
export function runPluginContract(options: PluginContractOptions, runner: TestRunner): void {
  runner.describe(`plugin contract: ${options.plugin.name}${options.title ? ` (${options.title})` : ''}`, () => {
    for (const c of pluginContractChecks(options)) runner.it(c.name, () => c.run());
  });
}
