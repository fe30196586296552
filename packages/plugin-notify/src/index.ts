export { createNotificationDispatcher } from './dispatcher.js';
export type {
  NotificationDispatcher,
  NotificationDispatcherOptions,
  DeliveryResult,
  ChannelMetrics,
} from './dispatcher.js';
export { digestOf } from './digest.js';
export { systemClock, createManualClock } from './clock.js';
export type { NotifyClock, ManualClock } from './clock.js';
export { NotifyError } from './errors.js';
export { createMemoryNotifier } from './memory.js';
export type { MemoryNotifier } from './memory.js';
export {
  webhookNotifier,
  createWebhookNotifier,
  signWebhook,
  verifyWebhookSignature,
  WebhookOptionsSchema,
  SIGNATURE_HEADER,
  IDEMPOTENCY_HEADER,
} from './webhook.js';
export type { WebhookNotifierOptions, VerifyWebhookOptions } from './webhook.js';
export { slackNotifier, createSlackNotifier, slackMessage, escapeSlack, SlackOptionsSchema } from './slack.js';
export type { SlackNotifierOptions } from './slack.js';
export { emailNotifier, createEmailNotifier, emailMessage, EmailOptionsSchema } from './email.js';
export type { EmailNotifierOptions } from './email.js';
export { logNotifier, createLogNotifier, logLine, LogOptionsSchema } from './log.js';
export type { LogNotifierOptions } from './log.js';
export { NOTIFIERS } from './notifiers.js';
export type { NotifierType } from './notifiers.js';
export { VERSION } from './version.js';
