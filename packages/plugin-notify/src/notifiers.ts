import type { PluginDefinition } from '@shoplog/core';
import { emailNotifier } from './email.js';
import { logNotifier } from './log.js';
import { slackNotifier } from './slack.js';
import { webhookNotifier } from './webhook.js';

/** A channel type of this package: `webhook`, `slack`, `email` or `log`. */
export type NotifierType = 'webhook' | 'slack' | 'email' | 'log';

/** The channels this package provides, by the `type` a configuration names them with. */
export const NOTIFIERS: Readonly<Record<NotifierType, PluginDefinition<'notifier'>>> = Object.freeze({
  webhook: webhookNotifier,
  slack: slackNotifier,
  email: emailNotifier,
  log: logNotifier,
});
