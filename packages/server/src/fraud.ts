import {
  createFraudScorer,
  createMemoryFraudStateStore,
  createMemoryVelocityStore,
  FraudInputSchema,
  normalize,
  toIssues,
  type FraudResult,
  type FraudRule,
  type FraudScorer,
  type FraudStateStore,
  type TransactionEvent,
  type ValidationIssue,
  type VelocityStore,
} from '@shoplog/core';

/** Options of `createServerFraudScorer`. */
export interface ServerFraudScorerOptions {
  /** The velocity windows of the rules (Redis: `scaleOut.velocity`). @default an in-process `createMemoryVelocityStore()` */
  velocity?: VelocityStore | undefined;
  /** Account profiles, entity links and shop-wide signals (Redis: `scaleOut.fraudState`). @default an in-process `createMemoryFraudStateStore()` */
  profiles?: FraudStateStore | undefined;
  /** Rules run beside core's (the `fraudRules` plugins), each with its own reason code. @default [] */
  extraRules?: readonly FraudRule[];
  /** Called once when scoring starts failing (a store gone, a rule plugin failing), with the error; again only after a scoring succeeded. */
  onFailure?: (message: string) => void;
  /** Called once when scoring succeeds again after a failure. */
  onRecovery?: () => void;
}

/**
 * The server's fraud scorer: core's default (`createFraudScorer`: the rules and the account profiles, entity links and
 * shop-wide signals, combined by the learned model) over a velocity store and a profile store. Ingest scores with it
 * the transactions that arrive without their shop's verdict, and so does `POST /api/fraud/detect`; both record into
 * the state (which is why detect needs the ingest permission). Pass shared stores (Redis) so that every instance
 * judges with the same view. A scoring that fails (a store unreachable) is judged `review` with a `SCORER_ERROR`
 * reason, never `allow`; `onFailure` hears of it once per outage.
 */
export function createServerFraudScorer(options: ServerFraudScorerOptions = {}): FraudScorer {
  const scorer = createFraudScorer({
    store: options.velocity ?? createMemoryVelocityStore(),
    profileStore: options.profiles ?? createMemoryFraudStateStore(),
    extraRules: options.extraRules ?? [],
    onError: 'review',
  });
  let failing = false;
  // A bad transaction (an input error names its path) is the client's fault, not an outage.
  const watch = (result: FraudResult): FraudResult => {
    if (result.error && result.error.path === undefined) {
      if (!failing) options.onFailure?.(result.error.message);
      failing = true;
    } else if (failing && !result.error) {
      failing = false;
      options.onRecovery?.();
    }
    return result;
  };
  // The scorer's own getters (model, rulesetVersion) stay live through the prototype.
  const watched: FraudScorer = Object.create(scorer) as FraudScorer;
  watched.score = async (transaction, context) => watch(await scorer.score(transaction, context));
  watched.scoreSync = (transaction, context) => watch(scorer.scoreSync(transaction, context));
  return watched;
}

/**
 * A scorer that is `loading`'s once it resolves (the server's scorer waits for its rule plugins): `score` waits for
 * it; until then `sync` is false and what needs the scorer itself (`scoreSync`, labels, models) throws a TypeError.
 */
export function scorerWhenLoaded(loading: Promise<FraudScorer>): FraudScorer {
  let loaded: FraudScorer | undefined;
  loading
    .then((scorer) => (loaded = scorer))
    .catch(() => {
      // The server's start() awaits `loading` and reports its error.
    });
  const current = (what: string): FraudScorer => {
    if (loaded === undefined)
      throw new TypeError(`${what}: the fraud rule plugins are still loading (await server.start())`);
    return loaded;
  };
  return {
    score: async (transaction, context) => (loaded ?? (await loading)).score(transaction, context),
    scoreSync: (transaction, context) => current('scoreSync').scoreSync(transaction, context),
    get sync() {
      return loaded?.sync ?? false;
    },
    get rulesetVersion() {
      return loaded?.rulesetVersion ?? 'loading';
    },
    get ruleCodes() {
      return loaded?.ruleCodes ?? [];
    },
    get model() {
      return loaded?.model;
    },
    get models() {
      return loaded?.models ?? [];
    },
    featuresOf: (id) => loaded?.featuresOf(id),
    feedback: (feedback) => current('feedback').feedback(feedback),
    refit: (options) => current('refit').refit(options),
    useModel: (model) => current('useModel').useModel(model),
    rollback: () => current('rollback').rollback(),
  };
}

/**
 * Scores one transaction given as the scorer's flat input (`{ amount: minor units, currency, userId, … }`), an
 * envelope, or a seed-shaped transaction (`{ amount: 99.99, currency, user_id, … }`).
 */
export async function scoreTransaction(
  scorer: FraudScorer,
  input: Record<string, unknown>,
): Promise<FraudResult | { issues: ValidationIssue[] }> {
  const flat = FraudInputSchema.safeParse(input);
  if (flat.success) return scorer.score(flat.data);
  const isEnvelope = typeof input.event === 'object' && input.event !== null;
  const checked = normalize(isEnvelope ? input : { log_type: 'transaction', ...input });
  if (!checked.ok) return { issues: checked.issues.length > 0 ? checked.issues : toIssues(flat.error) };
  if (checked.event.event.dataset !== 'shoplog.transaction')
    return { issues: [{ path: 'event.dataset', message: 'must be shoplog.transaction' }] };
  return scorer.score(checked.event as TransactionEvent);
}
