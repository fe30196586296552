import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '@shoplog/plugin-notify';
import { afterEach, describe, expect, it } from 'vitest';
import { bootstrap, createServer, loadConfig, ServerConfigSchema } from '../src/index.js';
import { withDemoChannel } from '../src/notifications.js';
import {
  cardTestingAttempts,
  clientVerdict,
  errorEvent,
  eventually,
  startTestServer,
  txEvent,
  type TestServer,
} from './helpers.js';

const SECRET = 'whsec_e2e_0123456789abcdef';
const SECRET_VAR = 'SHOPLOG_TEST_WEBHOOK_SECRET';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver on 127.0.0.1 that accepts only requests whose signature verifies. */
async function startReceiver() {
  const received: Received[] = [];
  const refused: Received[] = [];
  const waiters: (() => void)[] = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const got = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const signed =
        req.headers['shoplog-signature'] === undefined ||
        verifyWebhookSignature({ secret: SECRET, header: req.headers['shoplog-signature'] as string, body: got.body });
      (signed ? received : refused).push(got);
      res.writeHead(signed ? 204 : 401).end();
      waiters.splice(0).forEach((wake) => wake());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    refused,
    /** Resolves once `count` requests have arrived. */
    async count(count: number): Promise<Received[]> {
      while (received.length + refused.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
      return received;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const json = { 'content-type': 'application/json' };
let t: TestServer | undefined;
let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
afterEach(async () => {
  await t?.close();
  await receiver?.close();
  t = receiver = undefined;
  delete process.env[SECRET_VAR];
});

describe('alert notifications, end to end', () => {
  it('a rule that starts firing notifies its webhook once, signed; when the errors stop it sends "resolved"; both are in the history', async () => {
    receiver = await startReceiver();
    process.env[SECRET_VAR] = SECRET;
    // The server's clock runs with real time (the events carry real timestamps) and can be moved forward.
    let ahead = 0;
    t = await startTestServer({
      clock: () => Date.now() + ahead,
      notifications: {
        channels: [
          { name: 'ops', type: 'webhook', options: { url: `${receiver.url}/hooks`, secret: { env: SECRET_VAR } } },
        ],
        groupWindowSeconds: 0,
        publicUrl: 'https://shoplog.example',
      },
    });
    const server = t;
    const unknown = await server.call('/api/alerts/rules', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'x', metric: 'count', window: '1m', threshold: 2, channels: ['ops', 'pager'] }),
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { issues: unknown[] } }).error.issues).toEqual([
      { path: 'channels[1]', message: 'no channel named pager (configured: ops)' },
    ]);
    const created = await server.call('/api/alerts/rules', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        name: 'checkout <errors> & co',
        metric: 'count',
        filters: { log_type: 'error' },
        window: '1m',
        threshold: 2,
        channels: ['ops'],
      }),
    });
    expect(created.status).toBe(201);
    const rule = (await created.json()) as { id: string; channels: string[] };
    expect(rule.channels).toEqual(['ops']);

    const ingest = (n: number) =>
      server.call('/api/logs/ingest', {
        key: server.keys.ingest,
        method: 'POST',
        headers: json,
        body: JSON.stringify(Array.from({ length: n }, () => errorEvent('500', 'Boom'))),
      });
    const evaluate = async () => {
      await server.server.stores.logs.refresh();
      const res = await server.call('/api/alerts/evaluate', { method: 'POST' });
      return (
        (await res.json()) as { alerts: { id: string; state: string; firing_since: string | null }[] }
      ).alerts.find((a) => a.id === rule.id);
    };
    const sent = async () =>
      (
        await server.read<{ channels: { name: string; metrics: { sent: number; queued: number } }[] }>(
          '/api/alerts/channels',
        )
      ).channels[0]?.metrics;

    await ingest(2);
    expect((await evaluate())?.state).toBe('ok'); // 2 is not above 2
    await ingest(1);
    const firing = await evaluate();
    expect(firing?.state).toBe('firing');
    const [first] = await receiver.count(1);
    const message = JSON.parse(first!.body) as {
      id: string;
      type: string;
      title: string;
      text: string;
      link: string;
      details: { ruleId: string };
    };
    expect(first!.headers['idempotency-key']).toBe(message.id);
    expect(message).toMatchObject({
      id: `alert:${rule.id}:${Date.parse(firing!.firing_since!)}:firing`,
      type: 'alert.firing',
      title: 'Firing: checkout <errors> & co',
      text: '3 events over the last 1m, above the threshold of 2.',
      link: 'https://shoplog.example/#/alerts',
      details: { ruleId: rule.id },
    });

    // Still firing: no second message.
    await ingest(1);
    expect((await evaluate())?.state).toBe('firing');
    expect(await sent()).toMatchObject({ queued: 0 });

    // Two minutes later the window holds no error: resolved.
    ahead += 120_000;
    expect((await evaluate())?.state).toBe('ok');
    const [, second] = await receiver.count(2);
    expect(JSON.parse(second!.body)).toMatchObject({
      id: message.id.replace(/:firing$/, ':resolved'),
      type: 'alert.resolved',
      title: 'Resolved: checkout <errors> & co',
    });
    expect(receiver.refused).toHaveLength(0);

    const history = await eventually(async () => {
      const h = await server.read<{
        notifications: { type: string; outcome: string; channel: string; attempts: number; rule_id: string }[];
      }>(`/api/alerts/history?rule=${rule.id}`);
      return h.notifications.length === 2 ? h.notifications : undefined;
    });
    expect(history.map((h) => [h.type, h.outcome, h.channel, h.attempts, h.rule_id])).toEqual([
      ['alert.resolved', 'sent', 'ops', 1, rule.id],
      ['alert.firing', 'sent', 'ops', 1, rule.id],
    ]);
    const channels = await server.read<{ channels: unknown[] }>('/api/alerts/channels');
    expect(channels.channels).toEqual([
      {
        name: 'ops',
        type: 'webhook',
        version: expect.stringMatching(/^\d+\.\d+\.\d+/),
        fraud: false,
        metrics: expect.objectContaining({ sent: 2, failed: 0, queued: 0 }),
      },
    ]);
    expect(JSON.stringify(channels)).not.toContain(SECRET);
    expect((await server.call('/api/alerts/history?limit=0', { key: server.keys.read })).status).toBe(400);
  });

  it('server-side fraud blocks notify the fraud channels, grouped by reason; client verdicts do not', async () => {
    receiver = await startReceiver();
    t = await startTestServer({
      notifications: {
        channels: [{ name: 'ops', type: 'webhook', options: { url: receiver.url, secret: SECRET } }],
        fraudChannels: ['ops'],
        groupWindowSeconds: 0,
      },
    });
    const judged = txEvent({ user: 'judged', amount: '1.00', status: 'declined' });
    const attempts = [...cardTestingAttempts('carder'), judged, clientVerdict(judged)];
    const res = await t.call('/api/logs/ingest', {
      key: t.keys.ingest,
      method: 'POST',
      headers: json,
      body: JSON.stringify(attempts),
    });
    expect(res.status).toBe(201);
    await t.server.stores.logs.refresh();
    const alerts = await t.read<{
      alerts: { event_id?: string; transaction_id: string; decision: string; user_id: string }[];
    }>('/api/fraud/alerts?range=24h&limit=100');
    const blocked = alerts.alerts
      .filter((a) => a.decision === 'block' && a.user_id === 'carder')
      .map((a) => a.transaction_id);
    expect(blocked.length).toBeGreaterThan(1);
    // The first block of a reason goes out at once; the others wait for the cooldown, and close() sends them as one digest.
    await receiver.count(1);
    await t.close();
    t = undefined;
    const bodies = receiver.received.map(
      (r) =>
        JSON.parse(r.body) as {
          type: string;
          title: string;
          details: {
            transactionId?: string;
            digest?: boolean;
            notifications?: { details: { transactionId: string } }[];
          };
        },
    );
    const notified = bodies.flatMap((b) =>
      b.details.digest
        ? (b.details.notifications ?? []).map((n) => n.details.transactionId)
        : [b.details.transactionId],
    );
    expect(bodies.every((b) => b.type === 'fraud.block')).toBe(true);
    expect(notified.sort()).toEqual([...blocked].sort());
    expect(notified).not.toContain((judged.shop as { transaction: { id: string } }).transaction.id);
  });

  it('a channel with a wrong option stops the start, naming it; a missing secret variable is named at creation', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-notify-'));
    try {
      const bad = createServer({
        port: 0,
        ingestPort: -1,
        dataDir: dir,
        logLevel: 'silent',
        notifications: {
          channels: [{ name: 'ops', type: 'webhook', options: { url: 'http://127.0.0.1:9', secret: 'short' } }],
        },
      });
      await expect(bad.start()).rejects.toThrow(
        'notification channel ops: plugin @shoplog/plugin-notify/webhook: invalid options: secret: must be at least 16 characters',
      );
      await bad.close();
      expect(() =>
        createServer({
          port: 0,
          dataDir: dir,
          logLevel: 'silent',
          notifications: {
            channels: [{ name: 'ops', type: 'slack', options: { url: { env: 'SHOPLOG_TEST_NOT_SET' } } }],
          },
        }),
      ).toThrow('notifications.channels[0].options.url: the environment variable SHOPLOG_TEST_NOT_SET is not set');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() =>
      loadConfig({ SHOPLOG_NOTIFICATIONS: JSON.stringify({ channels: [{ name: 'ops', type: 'pager' }] }) }),
    ).toThrow(
      'settings: invalid options: notifications.channels[0].type (SHOPLOG_NOTIFICATIONS): Invalid option: expected one of "webhook"|"slack"|"email"|"log"',
    );
    expect(() =>
      loadConfig({
        SHOPLOG_NOTIFICATIONS: JSON.stringify({
          channels: [
            { name: 'ops', type: 'log' },
            { name: 'ops', type: 'log' },
          ],
          fraudChannels: ['chat'],
        }),
      }),
    ).toThrow(
      'settings: invalid options: notifications.channels[1].name (SHOPLOG_NOTIFICATIONS): ops is defined twice; notifications.fraudChannels[0] (SHOPLOG_NOTIFICATIONS): no channel named chat',
    );
    // The parser's message would quote the text (a secret, perhaps): only the position is reported.
    expect(() => loadConfig({ SHOPLOG_NOTIFICATIONS: '{"channels": [{"options": {"secret": s3cr3t}}]}' })).toThrow(
      /^settings: invalid options: notifications \(SHOPLOG_NOTIFICATIONS\): must be JSON( \(error at position \d+\))?$/,
    );
    expect(
      loadConfig({ SHOPLOG_NOTIFICATIONS: '{"channels":[{"name":"dev","type":"log"}],"fraudChannels":["dev"]}' })
        .notifications,
    ).toMatchObject({
      channels: [{ name: 'dev', type: 'log', options: {} }],
      fraudChannels: ['dev'],
      groupWindowSeconds: 10,
      cooldownSeconds: 300,
    });
  });

  it('the demo prints its notifications on the console channel, with an alert rule that uses it', async () => {
    const settings = withDemoChannel(ServerConfigSchema.parse({}).notifications);
    expect(settings).toMatchObject({
      channels: [{ name: 'demo-console', type: 'log' }],
      fraudChannels: ['demo-console'],
    });
    t = await startTestServer({ notifications: { ...settings, groupWindowSeconds: 0 } });
    await bootstrap(t.server, { demo: true, demoEvents: 2000 });
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      if (String(chunk).startsWith('shoplog notify:')) lines.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stdout.write;
    try {
      const res = await t.call('/api/alerts/evaluate', { method: 'POST' });
      const demo = ((await res.json()) as { alerts: { name: string; state: string; channels: string[] }[] }).alerts;
      expect(demo).toMatchObject([{ name: 'Demo: errors this week', state: 'firing', channels: ['demo-console'] }]);
      const history = await eventually(
        async () =>
          (await t!.read<{ notifications: { channel: string; outcome: string }[] }>('/api/alerts/history'))
            .notifications[0],
      );
      expect(history).toMatchObject({ channel: 'demo-console', outcome: 'sent' });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^shoplog notify: \[warning\] alert\.firing Firing: Demo: errors this week: \d+ events over the last 7d, above the threshold of 0\. \(alert:/,
      );
    } finally {
      process.stdout.write = write;
    }
  });
});

describe('a notification channel is accounted like every plugin', () => {
  it('health lists its calls, time spent and time-outs when its receiver never answers', async () => {
    const hanging = createHttpServer(() => {}); // reads the request, never answers
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    try {
      t = await startTestServer({
        notifications: {
          channels: [{ name: 'slow', type: 'webhook', options: { url, secret: SECRET } }],
          groupWindowSeconds: 0,
          attemptTimeoutSeconds: 1,
        },
      });
      const server = t;
      const created = await server.call('/api/alerts/rules', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ name: 'any error', metric: 'count', window: '1h', threshold: 0, channels: ['slow'] }),
      });
      expect(created.status).toBe(201);
      await server.call('/api/logs/ingest', {
        key: server.keys.ingest,
        method: 'POST',
        headers: json,
        body: JSON.stringify([errorEvent('500', 'Boom')]),
      });
      await server.server.stores.logs.refresh();
      await server.call('/api/alerts/evaluate', { method: 'POST' });
      type Health = {
        plugins: { name: string; kind: string; calls: number; timeouts: number; total_ms: number; errors: number }[];
      };
      const entry = async () =>
        (await server.read<Health>('/api/dashboard/health')).plugins.find((p) => p.kind === 'notifier');
      // One snapshot: the dispatcher retries a timed-out attempt, so by a later read (on a busy machine) a second
      // attempt may have started or timed out too.
      const seen = await eventually(async () => {
        const e = await entry();
        return (e?.timeouts ?? 0) >= 1 ? e : undefined;
      }, 10_000);
      expect(seen.name).toBe('slow (webhook)');
      expect(seen.errors).toBe(seen.timeouts);
      // A call counts when it starts: the retry may be under way, not yet timed out.
      expect(seen.calls - seen.timeouts).toBeGreaterThanOrEqual(0);
      expect(seen.calls - seen.timeouts).toBeLessThanOrEqual(1);
      expect(seen.total_ms).toBeGreaterThanOrEqual(900 * seen.timeouts);
    } finally {
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
  });
});
