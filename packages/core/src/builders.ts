import { DATASETS, numberToDecimal, type EventKind, type LogLevel, type Money } from './schema/common.js';
import type { EventByKind } from './schema/kinds.js';
import { uuidv7 } from './ids.js';
import { isoTime } from './iso-time.js';

/** The service an event comes from (ECS `service.*`). */
export interface ServiceInfo {
  name: string;
  version?: string;
  environment?: string;
}

/** What builders fill in on every event. */
export interface BuildOptions {
  /** `service.*` of every event built. */
  service?: ServiceInfo;
  /** Clock in Unix milliseconds. @default Date.now */
  now?: () => number;
}

type EventFieldsInput = Partial<EventByKind[EventKind]['event']>;

/** Money as a builder takes it: `value` may also be a number, converted when exact (see `numberToDecimal`). */
export type MoneyInput = Omit<Money, 'value'> & { value?: string | number };

// Money anywhere under `shop` becomes MoneyInput (distributes over `X | undefined`).
type WithMoneyInput<T> = T extends Money
  ? MoneyInput
  : T extends readonly unknown[]
    ? T
    : T extends object
      ? { [P in keyof T]: WithMoneyInput<T[P]> }
      : T;

// The named fields of a kind's event without zod's index signature (`[k: string]: unknown` of a loose object): an
// `Omit` over the signature would keep only the signature, and every input, `{ shop: 42 }` included, would pass.
type NamedInput<E> = {
  [
    P in keyof E as string extends P
      ? never
      : number extends P
        ? never
        : P extends '@timestamp' | 'event' | 'log'
          ? never
          : P
  ]: P extends 'shop' ? WithMoneyInput<E[P]> : E[P];
};

/**
 * What a caller gives a builder: the event without the fields the builder fills in. Typed field by field, so what
 * `validate()` would refuse in `shop.*` (an unknown key, a wrong type) does not compile, nor does a top-level key
 * the envelope does not name (a typo; an extra ECS field is still accepted from a spread object).
 */
export type EventInput<K extends EventKind> = NamedInput<EventByKind[K]> & {
  '@timestamp'?: string;
  event?: EventFieldsInput & (K extends 'performance' ? { duration: number } : unknown);
  log?: { level?: LogLevel; logger?: string };
};

const DEFAULTS: Record<EventKind, { kind: string; category: string[]; type: string[] }> = {
  transaction: { kind: 'event', category: ['web'], type: ['info'] },
  error: { kind: 'event', category: ['web'], type: ['error'] },
  user_behavior: { kind: 'event', category: ['web', 'session'], type: ['info'] },
  performance: { kind: 'metric', category: ['web'], type: ['info'] },
  fraud: { kind: 'alert', category: ['intrusion_detection'], type: ['indicator'] },
  log: { kind: 'event', category: ['process'], type: ['info'] },
};

function defaultLevel(kind: EventKind, input: Record<string, unknown>): LogLevel {
  const shop = input.shop as Record<string, Record<string, unknown> | undefined> | undefined;
  switch (kind) {
    case 'error': {
      const status = (input.http as { response?: { status_code?: number } } | undefined)?.response?.status_code;
      return status !== undefined && status < 500 ? 'warn' : 'error';
    }
    case 'transaction': {
      const status = shop?.transaction?.status;
      return status === 'failed' || status === 'declined' ? 'warn' : 'info';
    }
    case 'fraud':
      return shop?.fraud?.decision === 'block' ? 'error' : 'warn';
    default:
      return 'info';
  }
}

/**
 * Builds an event of `kind`: fills `@timestamp`, a time-ordered `event.id` (UUIDv7), `event.dataset`,
 * ECS `event.kind/category/type`, a level that fits the content, and `service.*` from the options.
 * Fields the caller gives win. Money given as a number (`amount: { value: 99.99 }`, as JSON bodies have it) becomes
 * its exact decimal string (`"99.99"`); a number that is not exact in the currency (`0.1 + 0.2`, more decimals than
 * its minor unit, over 15 digits) is left for validation to refuse by name. The result is not validated here: the
 * pipeline validates.
 */
export function createEvent<K extends EventKind>(
  kind: K,
  input: EventInput<K>,
  options: BuildOptions = {},
): EventByKind[K] {
  return completeEvent(kind, { ...(input as unknown as Record<string, unknown>) }, options);
}

/**
 * `createEvent` for a body the caller has just built and owns (e.g. per request in a middleware): fills the same
 * fields in place instead of copying it first, one object less per event. Same result as `createEvent`.
 */
export function completeEvent<K extends EventKind>(
  kind: K,
  body: Record<string, unknown>,
  options: BuildOptions = {},
): EventByKind[K] {
  const now = (options.now ?? Date.now)();
  const defaults = DEFAULTS[kind];
  const raw = body;
  const given = raw.event as EventFieldsInput | undefined;
  const log = raw.log as { level?: LogLevel } | undefined;
  // Assigned in place: a key the body already has keeps its position, a new one goes last, as with a spread.
  raw['@timestamp'] = raw['@timestamp'] ?? isoTime(now);
  raw.event = {
    kind: defaults.kind,
    category: defaults.category,
    type: defaults.type,
    ...given,
    id: given?.id ?? uuidv7(now),
    dataset: DATASETS[kind],
  };
  raw.log = { ...log, level: log?.level ?? defaultLevel(kind, raw) };
  if (options.service && raw.service === undefined) raw.service = { ...options.service };
  const moneyAt = MONEY_PATHS[kind];
  if (moneyAt) for (const path of moneyAt) exactMoney(raw, path);
  return raw as unknown as EventByKind[K];
}

/** Where each kind carries money (`shop.` + path). */
const MONEY_PATHS: Partial<Record<EventKind, readonly (readonly [string, ...string[]])[]>> = {
  transaction: [['shop', 'amount']],
  fraud: [['shop', 'amount']],
  user_behavior: [
    ['shop', 'cart', 'value'],
    ['shop', 'product', 'price'],
  ],
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Replaces a number `value` of the money at `path` by its exact decimal string (`numberToDecimal`), copying the
 * objects on the way (they are the caller's). A number that is not exact is left as it is: validation then names
 * the field, so it is never silently rounded.
 */
function exactMoney(body: Obj, path: readonly [string, ...string[]]): void {
  const [key, ...rest] = path;
  const child = body[key];
  if (!isObj(child)) return;
  if (rest.length > 0) {
    const copy = { ...child };
    exactMoney(copy, rest as [string, ...string[]]);
    if (copy[rest[0] as string] !== child[rest[0] as string]) body[key] = copy;
    return;
  }
  const { value, currency } = child;
  if (typeof value !== 'number' || typeof currency !== 'string') return;
  const decimal = numberToDecimal(value, currency);
  if (decimal !== undefined) body[key] = { ...child, value: decimal };
}

/** Builds a transaction event (order, payment, refund). */
export const transaction = (input: EventInput<'transaction'>, options?: BuildOptions) =>
  createEvent('transaction', input, options);
/** Builds an application error event. */
export const error = (input: EventInput<'error'>, options?: BuildOptions) => createEvent('error', input, options);
/** Builds a user behaviour event. */
export const userBehavior = (input: EventInput<'user_behavior'>, options?: BuildOptions) =>
  createEvent('user_behavior', input, options);
/** Builds a performance event (`event.duration` in nanoseconds is required). */
export const performance = (input: EventInput<'performance'>, options?: BuildOptions) =>
  createEvent('performance', input, options);
/** Builds a fraud event. */
export const fraud = (input: EventInput<'fraud'>, options?: BuildOptions) => createEvent('fraud', input, options);

/** Builds a plain application log line (`shoplog.log`): a message at a level. */
export const appLog = (input: EventInput<'log'>, options?: BuildOptions) => createEvent('log', input, options);

/** Converts milliseconds (as `performance.now()` differences) to the nanoseconds of `event.duration`. */
export function msToNs(ms: number): number {
  return Math.max(0, Math.round(ms * 1e6));
}
