import { createHash } from 'node:crypto';
import {
  definePlugin,
  parseOptions,
  PLUGIN_API_VERSION,
  type Notification,
  type Notifier,
  type PluginCreateContext,
} from '@shoplog/core';
import { z } from 'zod';
import { NotifyError, oneLine } from './errors.js';
import { toAbortSignal } from './signal.js';
import { VERSION } from './version.js';

const noLineBreak = (what: string) => z.string().regex(/^[^\r\n]*$/, `${what} must be one line`);

/** Options of the e-mail channel (SMTP through nodemailer). */
export const EmailOptionsSchema = z.strictObject({
  /** SMTP server host name. */
  host: z.string().min(1),
  /** SMTP port: 587 (submission, STARTTLS) or 465 (implicit TLS). @default 587 */
  port: z.int().min(1).max(65_535).default(587),
  /** Implicit TLS from the first byte. @default true on port 465, else false (STARTTLS) */
  secure: z.boolean().optional(),
  /** Refuse to send unless the connection is upgraded with STARTTLS (ignored when `secure`). @default true */
  requireTLS: z.boolean().default(true),
  /** TLS settings of the connection. */
  tls: z
    .strictObject({
      /** Verify the server's certificate. Turning it off lets anyone on the path read the credentials. @default true */
      rejectUnauthorized: z.boolean().default(true),
      /** Extra trusted CA certificates (PEM), e.g. a company CA. */
      ca: z.string().includes('-----BEGIN CERTIFICATE-----', { error: 'must be PEM certificates' }).optional(),
      /** Name checked against the certificate when it differs from `host`. */
      servername: z.string().min(1).optional(),
      /** Oldest TLS version accepted. @default 'TLSv1.2' */
      minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
    })
    .prefault({}),
  /** SMTP credentials (give `pass` from the environment). */
  auth: z.strictObject({ user: z.string().min(1), pass: z.string().min(1) }).optional(),
  /** Sender, `alerts@shop.example` or `Shop alerts <alerts@shop.example>`. */
  from: noLineBreak('from').min(3),
  /** Recipients. */
  to: z.array(z.email()).min(1),
  /** Put before every subject. @default '[Shoplog]' */
  subjectPrefix: noLineBreak('subjectPrefix').max(40).default('[Shoplog]'),
  /** Connection, greeting and idle timeouts, in milliseconds. @default 30000 */
  timeoutMs: z.int().positive().default(30_000),
});

/** Options of `createEmailNotifier` (see `EmailOptionsSchema` for each one's meaning and default). */
export type EmailNotifierOptions = z.input<typeof EmailOptionsSchema>;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

/** The message of a notification: a one-line subject, a plain-text body and the same as escaped HTML. */
export function emailMessage(
  notification: Notification,
  subjectPrefix: string,
): { subject: string; text: string; html: string } {
  const meta = `${notification.severity} · ${notification.type} · ${notification.at}`;
  const link = notification.link && /^https?:\/\//i.test(notification.link) ? notification.link : undefined;
  const text = [
    notification.title,
    '',
    notification.text,
    '',
    meta,
    ...(link ? [link] : []),
    '',
    `Notification ${notification.id}`,
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.4">',
    `<h2 style="margin:0 0 .5em">${escapeHtml(notification.title)}</h2>`,
    `<p style="white-space:pre-wrap">${escapeHtml(notification.text)}</p>`,
    `<p style="color:#666">${escapeHtml(meta)}</p>`,
    link ? `<p><a href="${escapeHtml(link)}">Open in Shoplog</a></p>` : '',
    `<p style="color:#999;font-size:small">Notification ${escapeHtml(notification.id)}</p>`,
    '</body></html>',
  ].join('');
  return { subject: oneLine(`${subjectPrefix} ${notification.title}`, 200), text, html };
}

/** Certificate problems: retrying cannot fix them. */
const CERT_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|certificate/i;
/** Nodemailer codes that retrying cannot fix, when the server gave no reply code: TLS refused, credentials, configuration. */
const PERMANENT_CODES = new Set(['ETLS', 'EREQUIRETLS', 'EAUTH', 'ENOAUTH', 'EENVELOPE', 'ECONFIG', 'EMAXRECIPIENTS']);

/** Maps a nodemailer error to a `NotifyError`: 4xx replies and connection problems are retried, the rest is not. */
function classify(error: unknown): NotifyError {
  const e = error as { code?: unknown; responseCode?: unknown; message?: unknown; cause?: { code?: unknown } };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const reply = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const message = oneLine(String(e.message ?? error), 200);
  const certificate = CERT_ERROR.test(`${String(e.cause?.code ?? '')} ${message}`);
  // The server's reply decides when there is one (RFC 5321: 4yz transient, 5yz permanent; 503 is a bad sequence,
  // not a refusal of the message); else the kind of failure does.
  const permanent =
    certificate ||
    (reply !== undefined ? reply >= 500 && reply !== 503 : code !== undefined && PERMANENT_CODES.has(code));
  return new NotifyError(`email: ${code ? `${code} ` : ''}${message}`, {
    retryable: !permanent,
    ...(reply ? { status: reply } : {}),
    cause: error,
  });
}

type Options = z.output<typeof EmailOptionsSchema>;

async function build(options: Options): Promise<Notifier> {
  // Loaded only when an e-mail channel is created: webhook-only users never load nodemailer.
  const nodemailer = await import('nodemailer');
  const createTransport =
    nodemailer.createTransport ?? (nodemailer as unknown as { default: typeof nodemailer }).default.createTransport;
  const transport = createTransport({
    host: options.host,
    port: options.port,
    secure: options.secure ?? options.port === 465,
    requireTLS: options.requireTLS,
    tls: {
      rejectUnauthorized: options.tls.rejectUnauthorized,
      minVersion: options.tls.minVersion,
      ...(options.tls.ca ? { ca: options.tls.ca } : {}),
      ...(options.tls.servername ? { servername: options.tls.servername } : {}),
    },
    ...(options.auth ? { auth: { user: options.auth.user, pass: options.auth.pass } } : {}),
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    // No attachments, no remote content, and no protocol logs (they would show the AUTH exchange).
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
    debug: false,
  });
  return {
    name: 'email',
    async notify(notification, signal) {
      const message = emailMessage(notification, options.subjectPrefix);
      // One Message-ID per notification id: a retry that reached the mailbox twice is recognisable as one message.
      const hash = createHash('sha256').update(notification.id).digest('hex').slice(0, 32);
      const abort = toAbortSignal(signal);
      try {
        await transport.sendMail({
          from: options.from,
          to: options.to,
          ...message,
          messageId: `<${hash}@shoplog.notify>`,
          headers: { 'X-Shoplog-Notification-Id': oneLine(notification.id, 200), 'X-Shoplog-Type': notification.type },
          ...(abort ? { signal: abort } : {}),
        });
      } catch (error) {
        throw classify(error);
      }
    },
    async close() {
      transport.close();
    },
  };
}

/** An e-mail channel over SMTP (nodemailer): TLS required and verified by default, plain text with an HTML alternative. */
export function createEmailNotifier(options: EmailNotifierOptions): Promise<Notifier> {
  return build(parseOptions('createEmailNotifier', EmailOptionsSchema, options));
}

/** The e-mail channel as a plugin (`kind: 'notifier'`). */
export const emailNotifier = definePlugin({
  name: '@shoplog/plugin-notify/email',
  version: VERSION,
  apiVersion: PLUGIN_API_VERSION,
  kind: 'notifier',
  description: 'E-mail over SMTP (nodemailer): STARTTLS or implicit TLS, plain text with an escaped HTML alternative',
  options: EmailOptionsSchema,
  create: (options, _context: PluginCreateContext) => build(options),
});
