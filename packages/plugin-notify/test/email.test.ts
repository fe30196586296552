import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createEmailNotifier,
  createManualClock,
  createNotificationDispatcher,
  NotifyError,
  type DeliveryResult,
} from '@shoplog/plugin-notify';
import { block, note } from './notes.js';
import { startSmtpReceiver } from './receivers.js';

const cert = readFileSync(new URL('./fixtures/localhost-cert.pem', import.meta.url), 'utf8');
const key = readFileSync(new URL('./fixtures/localhost-key.pem', import.meta.url), 'utf8');
const PASSWORD = 'smtp-password-do-not-log';
const base = { host: '127.0.0.1', from: 'Shop alerts <alerts@shop.example>', to: ['ops@shop.example'] };

describe('e-mail over SMTP', () => {
  it('sends a plain-text body with an escaped HTML alternative; a hostile title cannot add headers or markup', async () => {
    const smtp = await startSmtpReceiver({ disabledCommands: ['STARTTLS'] });
    try {
      const notifier = await createEmailNotifier({ ...base, port: smtp.port, requireTLS: false });
      await notifier.notify(
        note({
          title: 'Rule <script>alert(1)</script>\r\nBcc: victim@evil.example',
          text: 'Tom & Jerry <b>bold</b>\n"quoted"',
          link: 'javascript:alert(1)',
        }),
      );
      const mail = await smtp.next();
      expect(mail.envelope).toEqual({ from: 'alerts@shop.example', to: ['ops@shop.example'] });
      expect(mail.parsed.subject).toBe('[Shoplog] Rule <script>alert(1)</script> Bcc: victim@evil.example');
      expect(mail.parsed.bcc).toBeUndefined();
      const headers = mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n'));
      expect(headers).not.toMatch(/^Bcc:/im);
      expect(headers).toMatch(/^Subject: /m);
      expect(mail.parsed.text).toContain('Tom & Jerry <b>bold</b>\n"quoted"');
      const html = String(mail.parsed.html);
      expect(html).toContain('Rule &lt;script&gt;alert(1)&lt;/script&gt;');
      expect(html).toContain('Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt;');
      expect(html).not.toContain('<script>');
      expect(html).not.toContain('javascript:');
      expect(mail.parsed.headers.get('x-shoplog-notification-id')).toBe('alert:r1:1700000000000:firing');
      expect(mail.parsed.messageId).toMatch(/^<[0-9a-f]{32}@shoplog\.notify>$/);
      await notifier.close?.();
    } finally {
      await smtp.stop();
    }
  });

  it('requires STARTTLS and verifies the certificate by default: a trusted CA and credentials deliver over TLS', async () => {
    const smtp = await startSmtpReceiver({
      key,
      cert,
      authOptional: false,
      onAuth: (auth, _session, callback) =>
        callback(auth.password === PASSWORD ? null : new Error('bad credentials'), { user: auth.username }),
    });
    try {
      const notifier = await createEmailNotifier({
        ...base,
        port: smtp.port,
        tls: { ca: cert, servername: 'localhost' },
        auth: { user: 'alerts', pass: PASSWORD },
      });
      await notifier.notify(note());
      const mail = await smtp.next();
      expect(mail.secure).toBe(true);
      expect(mail.user).toBe('alerts');
      await notifier.close?.();
    } finally {
      await smtp.stop();
    }
  });

  it('refuses an unverifiable certificate, a server without STARTTLS and bad credentials, without retry and without the password', async () => {
    const tlsServer = await startSmtpReceiver({
      key,
      cert,
      authOptional: false,
      onAuth: (_a, _s, callback) => callback(new Error('nope')),
    });
    const plainServer = await startSmtpReceiver({ disabledCommands: ['STARTTLS'] });
    try {
      const cases = [
        createEmailNotifier({ ...base, port: tlsServer.port, auth: { user: 'alerts', pass: PASSWORD } }),
        createEmailNotifier({ ...base, port: plainServer.port, auth: { user: 'alerts', pass: PASSWORD } }),
        createEmailNotifier({
          ...base,
          port: tlsServer.port,
          tls: { ca: cert, servername: 'localhost' },
          auth: { user: 'alerts', pass: PASSWORD },
        }),
      ];
      const errors: NotifyError[] = [];
      for (const created of cases) {
        const notifier = await created;
        errors.push((await notifier.notify(note()).catch((e: unknown) => e)) as NotifyError);
        await notifier.close?.();
      }
      for (const error of errors) {
        expect(error).toBeInstanceOf(NotifyError);
        expect(error.retryable).toBe(false);
        expect(error.message).not.toContain(PASSWORD);
      }
      expect(errors[0]?.message).toMatch(/certificate/i);
      expect(errors[1]?.message).toMatch(/STARTTLS/);
      expect(errors[2]?.message).toMatch(/^email: EAUTH /);
      expect(tlsServer.received).toHaveLength(0);
      expect(plainServer.received).toHaveLength(0);
    } finally {
      await tlsServer.stop();
      await plainServer.stop();
    }
  });

  it('retries a 4xx reply and fails a 5xx reply at once', async () => {
    let reply = 451;
    const smtp = await startSmtpReceiver({
      disabledCommands: ['STARTTLS'],
      onRcptTo: (_address, _session, callback) =>
        callback(Object.assign(new Error(`try later ${reply}`), { responseCode: reply })),
    });
    try {
      const notifier = await createEmailNotifier({ ...base, port: smtp.port, requireTLS: false });
      const temporary = (await notifier.notify(note()).catch((e: unknown) => e)) as NotifyError;
      reply = 550;
      const permanent = (await notifier.notify(note()).catch((e: unknown) => e)) as NotifyError;
      expect([temporary.status, temporary.retryable]).toEqual([451, true]);
      expect([permanent.status, permanent.retryable]).toEqual([550, false]);
      await notifier.close?.();
    } finally {
      await smtp.stop();
    }
  });

  it('a server that is down and comes back receives exactly one message per notification id', async () => {
    const smtp = await startSmtpReceiver({ disabledCommands: ['STARTTLS'] });
    await smtp.stop();
    const clock = createManualClock(1_700_000_000_000);
    const results: DeliveryResult[] = [];
    const dispatcher = createNotificationDispatcher({
      channels: { mail: createEmailNotifier({ ...base, port: smtp.port, requireTLS: false, timeoutMs: 5000 }) },
      groupWindowMs: 0,
      clock,
      random: () => 1,
      onResult: (r) => results.push(r),
    });
    try {
      dispatcher.dispatch(note());
      dispatcher.dispatch(block(1));
      // Both attempts of the first message fail while the server is down (retry 1 after ≤ 1 s, retry 2 after ≤ 2 s).
      await clock.whenTimer();
      clock.advance(1000);
      await clock.whenTimer();
      expect(dispatcher.metrics().mail).toMatchObject({ retried: 2, sent: 0, queued: 2 });
      expect(dispatcher.metrics().mail?.lastError?.message).toMatch(/^email: (ECONNECTION|ESOCKET)/);
      await smtp.start();
      clock.advance(2000);
      await dispatcher.flush();
      expect(results.map((r) => [r.notificationIds, r.outcome, r.attempts])).toEqual([
        [['alert:r1:1700000000000:firing'], 'sent', 3],
        [['fraud:tx-1'], 'sent', 1],
      ]);
      const ids = smtp.received.map((m) => m.parsed.headers.get('x-shoplog-notification-id'));
      expect(ids).toEqual(['alert:r1:1700000000000:firing', 'fraud:tx-1']);
      expect(new Set(smtp.received.map((m) => m.parsed.messageId)).size).toBe(2);
    } finally {
      await dispatcher.close();
      await smtp.stop();
    }
  });

  it('refuses bad options by name', async () => {
    expect(() => createEmailNotifier({ host: '', from: 'a@b.c\r\nBcc: x@y.z', to: ['not-an-address'] })).toThrow(
      /createEmailNotifier: invalid options: host: .*; from: from must be one line; to\[0\]: /,
    );
  });
});
