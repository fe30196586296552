import type { FraudScorer, FraudStateStore, VelocityStore } from '@shoplog/core';
import type { ServerRateLimiters } from '../auth/rate-limit.js';
import type { SessionManager } from '../auth/sessions.js';
import type { ServerConfig } from '../config.js';
import type { HealthReport } from '../health.js';
import type { Backtests } from '../fraud-backtest.js';
import type { FraudLearning } from '../fraud-learning.js';
import type { Ingestor } from '../ingest/ingestor.js';
import type { ServerMetrics } from '../metrics.js';
import type { ServerNotifications } from '../notifications.js';
import type { AlertRuleRecord, Cache, LogStore, MetaStore } from '../ports.js';
import type { AlertRuleChange } from '../alerts.js';

/** What the routes share: settings, stores and the ingest path. */
export interface ServerContext {
  config: ServerConfig;
  logs: LogStore;
  meta: MetaStore;
  cache: Cache;
  ingestor: Ingestor;
  version: string;
  /** Fraud velocity state of `POST /api/fraud/detect`; undefined: in-process. */
  velocity?: VelocityStore | undefined;
  /** Fraud profile state of the server's own scorer (in-process or Redis); undefined when a scorer was given. */
  fraudState?: FraudStateStore | undefined;
  /** The scorer of ingest and `POST /api/fraud/detect` (over `velocity` and `fraudState`). */
  fraudScorer: FraudScorer;
  /** Fraud labels, refits, model versions and rollback. */
  fraudLearning: FraudLearning;
  /** Backtests of a ruleset or model version over stored transactions. */
  backtests: Backtests;
  /** Limiters that replace the in-process ones (shared through Redis). */
  rateLimiters: ServerRateLimiters;
  /** Web sessions (idle timeout and absolute lifetime). */
  sessions: SessionManager;
  /** Probes the dependencies for `GET /api/dashboard/health`. */
  health(): Promise<HealthReport>;
  /** Prometheus metrics (`GET /metrics`). */
  metrics: ServerMetrics;
  /** Alert and fraud notifications over the configured channels. */
  notifications: ServerNotifications;
  /** Evaluates the alert rules now (one evaluation at a time), notifying their state changes. */
  evaluateAlerts(): Promise<AlertRuleRecord[]>;
  /** Edits an alert rule between evaluations (so an evaluation never overwrites the edit); `undefined` when unknown. */
  editAlertRule(id: string, change: AlertRuleChange): Promise<AlertRuleRecord | undefined>;
}
