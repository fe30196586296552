import { createHmac, timingSafeEqual } from 'node:crypto';
import { definePlugin, parseOptions, PLUGIN_API_VERSION, type Notifier, type PluginCreateContext } from '@shoplog/core';
import { z } from 'zod';
import { isLoopbackUrl, postJson } from './http-post.js';
import { VERSION } from './version.js';

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'shoplog-signature';
/** Header carrying `notification.id`: the same on every retry, so a receiver keeps the first and drops repeats. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** Options of the signed webhook channel. */
export const WebhookOptionsSchema = z.strictObject({
  /** The receiver (http or https; plain http off this machine is warned about). */
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  /** The shared secret the body is signed with (give it from the environment, never in a file). */
  secret: z.string().min(16, 'must be at least 16 characters'),
});

/** Options of `createWebhookNotifier`. */
export interface WebhookNotifierOptions {
  /** The receiver's URL (http or https). */
  url: string;
  /** Shared secret of the HMAC-SHA256 signature, at least 16 characters. */
  secret: string;
  /** Reports a setup concern once (plain http off this machine). @default no-op */
  warn?: (message: string) => void;
}

/** The `shoplog-signature` value of `body` sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${digest}`;
}

/** What `verifyWebhookSignature` checks. */
export interface VerifyWebhookOptions {
  secret: string;
  /** The `shoplog-signature` header as received. */
  header: string | null | undefined;
  /** The raw body as received (before any JSON parsing). */
  body: string;
  /** Oldest accepted signature, in seconds: a replayed request is refused after this. @default 300 */
  toleranceSeconds?: number;
  /** Current time in epoch milliseconds. @default Date.now() */
  now?: number;
}

/** Checks a received webhook (constant-time comparison, timestamp within the tolerance); the README's recipe. */
export function verifyWebhookSignature(options: VerifyWebhookOptions): boolean {
  const fields = (options.header ?? '').split(',').map((part) => part.trim().split('='));
  const t = Number(fields.find(([key]) => key === 't')?.[1]);
  if (!Number.isInteger(t)) return false;
  if (Math.abs((options.now ?? Date.now()) / 1000 - t) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(createHmac('sha256', options.secret).update(`${t}.${options.body}`).digest('hex'));
  return fields.some(([key, value = '']) => {
    if (key !== 'v1') return false;
    const given = Buffer.from(value);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

function build(options: z.output<typeof WebhookOptionsSchema>, warn: (message: string) => void): Notifier {
  const url = new URL(options.url);
  if (url.protocol === 'http:' && !isLoopbackUrl(url)) {
    warn(
      `webhook channel: ${url.host} is plain http: the notifications (signed, not encrypted) can be read on the way`,
    );
  }
  return {
    name: 'webhook',
    async notify(notification, signal) {
      const body = JSON.stringify(notification);
      const headers = {
        [SIGNATURE_HEADER]: signWebhook(options.secret, body, Math.floor(Date.now() / 1000)),
        [IDEMPOTENCY_HEADER]: notification.id,
        'user-agent': `shoplog-notify/${VERSION}`,
      };
      await postJson('webhook', url, body, headers, signal);
    },
  };
}

/** A signed webhook channel: POSTs the notification as JSON, signed like Stripe's webhooks, with an idempotency key. */
export function createWebhookNotifier(options: WebhookNotifierOptions): Notifier {
  const { warn = () => {}, ...rest } = options;
  return build(parseOptions('createWebhookNotifier', WebhookOptionsSchema, rest), warn);
}

/** The signed webhook channel as a plugin (`kind: 'notifier'`). */
export const webhookNotifier = definePlugin({
  name: '@shoplog/plugin-notify/webhook',
  version: VERSION,
  apiVersion: PLUGIN_API_VERSION,
  kind: 'notifier',
  description: 'Signed webhook: HMAC-SHA256 over timestamp and body, idempotency key, retried by the dispatcher',
  options: WebhookOptionsSchema,
  create: (options, context: PluginCreateContext) => build(options, (message) => context.warn(message)),
});
