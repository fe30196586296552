import { emailNotifier } from './email.js';
import { logNotifier } from './log.js';
import { slackNotifier } from './slack.js';
import { webhookNotifier } from './webhook.js';

/** The channels this package provides, by the `type` a configuration names them with. */
export const NOTIFIERS = {
  webhook: webhookNotifier,
  slack: slackNotifier,
  email: emailNotifier,
  log: logNotifier,
} as const;

/** A channel type of this package: `webhook`, `slack`, `email` or `log`. */
export type NotifierType = keyof typeof NOTIFIERS;
