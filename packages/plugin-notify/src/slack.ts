import {
  definePlugin,
  parseOptions,
  PLUGIN_API_VERSION,
  type Notification,
  type Notifier,
  type PluginCreateContext,
} from '@shoplog/core';
import { z } from 'zod';
import { isLoopbackUrl, postJson } from './http-post.js';
import { VERSION } from './version.js';

/** Options of the Slack-compatible incoming-webhook channel. */
export const SlackOptionsSchema = z.strictObject({
  /** The incoming-webhook URL; its path is the secret (give it from the environment). */
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  /** Display name, where the receiver still honours it (Mattermost, Rocket.Chat, legacy Slack webhooks). */
  username: z.string().min(1).max(80).optional(),
  /** Icon such as `:rotating_light:`, where the receiver still honours it. */
  iconEmoji: z
    .string()
    .regex(/^:[\w+-]+:$/, 'must be an emoji name such as :bell:')
    .optional(),
});

/** Options of `createSlackNotifier`. */
export interface SlackNotifierOptions {
  /** The incoming-webhook URL (`https://hooks.slack.com/services/…`, or a compatible receiver's). */
  url: string;
  /** Display name, where honoured. */
  username?: string;
  /** Icon emoji, where honoured. */
  iconEmoji?: string;
  /** Reports a setup concern once (plain http off this machine). @default no-op */
  warn?: (message: string) => void;
}

/** Slack's section text limit. */
const SECTION_LIMIT = 3000;

/** Escapes the three characters Slack reads as control sequences (`<!channel>`, `<url|label>`, entities). */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const truncate = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** A link target Slack cannot misread: http(s) only, without the characters of its `<url|label>` syntax. */
function safeLink(link: string | undefined): string | undefined {
  if (!link || !/^https?:\/\//i.test(link)) return undefined;
  return link.replace(/[<>|\s]/g, encodeURIComponent);
}

const SEVERITY = { info: ':information_source:', warning: ':warning:', critical: ':rotating_light:' } as const;

/** The message body: `text` (the fallback shown in notifications) and Block Kit blocks, all escaped. */
export function slackMessage(notification: Notification): { text: string; blocks: unknown[] } {
  const title = escapeSlack(notification.title);
  const text = escapeSlack(notification.text);
  const link = safeLink(notification.link);
  const blocks: unknown[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(`${SEVERITY[notification.severity]} *${title}*\n${text}`, SECTION_LIMIT) },
    },
    {
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: escapeSlack(`${notification.severity} · ${notification.type} · ${notification.at}`) },
      ],
    },
  ];
  if (link) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `<${link}|Open in Shoplog>` } });
  return { text: truncate(`${title}: ${text}`, SECTION_LIMIT), blocks };
}

function build(options: z.output<typeof SlackOptionsSchema>, warn: (message: string) => void): Notifier {
  const url = new URL(options.url);
  if (url.protocol === 'http:' && !isLoopbackUrl(url)) {
    warn(`slack channel: ${url.host} is plain http: the webhook URL, which is its secret, can be read on the way`);
  }
  const extra = {
    ...(options.username ? { username: options.username } : {}),
    ...(options.iconEmoji ? { icon_emoji: options.iconEmoji } : {}),
  };
  return {
    name: 'slack',
    async notify(notification, signal) {
      await postJson(
        'slack',
        url,
        JSON.stringify({ ...slackMessage(notification), ...extra }),
        { 'user-agent': `shoplog-notify/${VERSION}` },
        signal,
      );
    },
  };
}

/** A Slack-compatible incoming-webhook channel (Slack, Mattermost, Rocket.Chat, Discord's `/slack` endpoint). */
export function createSlackNotifier(options: SlackNotifierOptions): Notifier {
  const { warn = () => {}, ...rest } = options;
  return build(parseOptions('createSlackNotifier', SlackOptionsSchema, rest), warn);
}

/** The Slack-compatible incoming-webhook channel as a plugin (`kind: 'notifier'`). */
export const slackNotifier = definePlugin({
  name: '@shoplog/plugin-notify/slack',
  version: VERSION,
  apiVersion: PLUGIN_API_VERSION,
  kind: 'notifier',
  description: 'Slack-compatible incoming webhook: text and blocks, escaped',
  options: SlackOptionsSchema,
  create: (options, context: PluginCreateContext) => build(options, (message) => context.warn(message)),
});
