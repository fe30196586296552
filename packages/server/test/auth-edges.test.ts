import { createHook } from 'node:async_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/index.js';
import { ADMIN_PASSWORD, startTestServer, txEvent, type TestServer } from './helpers.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const json = { 'content-type': 'application/json' };

describe('POST /api/fraud/detect cannot be used by a read-only key to poison fraud state', () => {
  it('needs the ingest permission; a read key flooding a victim leaves their next sale alone', async () => {
    t = await startTestServer();
    const victim = {
      userId: 'victim',
      ip: '203.0.113.77',
      cardFingerprint: 'fp-victim',
      email: 'victim@example.com',
      amount: 2500,
      currency: 'EUR',
    };
    for (let i = 0; i < 12; i++) {
      const res = await t.call('/api/fraud/detect', {
        key: t.keys.read,
        method: 'POST',
        headers: json,
        body: JSON.stringify({ ...victim, transactionId: `probe-${i}` }),
      });
      expect(res.status).toBe(403);
    }
    // The victim's real sale, ingested: judged on its own merits, not on twelve phantom attempts.
    const sale = {
      ...txEvent({ user: 'victim', amount: '25.00' }),
      client: { ip: victim.ip },
      user: { id: 'victim', email: victim.email },
    };
    (sale.shop as { payment: object }).payment = { method: 'card', card: { fingerprint: victim.cardFingerprint } };
    const res = await t.call('/api/logs/_bulk', { key: t.keys.ingest, method: 'POST', body: JSON.stringify(sale) });
    expect(res.status).toBe(200);
    await t.server.stores.logs.refresh();
    const alerts = await t.read<{ total: number }>('/api/fraud/alerts?range=24h');
    expect(alerts.total).toBe(0);
    // The ingest scope may still score on demand (it could ingest the same transactions anyway).
    const scored = await t.call('/api/fraud/detect', {
      key: t.keys.ingest,
      method: 'POST',
      headers: json,
      body: JSON.stringify(victim),
    });
    expect(scored.status).toBe(200);
  });
});

describe('POST /api/fraud/detect with a read-only key cannot poison fraud profiles', () => {
  const DAY = 86_400_000;
  const DESKTOP =
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
  const PHONE =
    'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
  const start = Date.now() - 40 * DAY;
  const base = {
    userId: 'victim',
    email: 'victim@example.com',
    currency: 'EUR',
    ipCountry: 'FR',
    billingCountry: 'FR',
    issuerCountry: 'FR',
  };
  const usual = {
    ...base,
    amount: 4000,
    cardFingerprint: 'fp-victim',
    userAgent: DESKTOP,
    ip: '203.0.113.5',
    status: 'completed',
  };
  // Declined micro-amounts on fresh cards from a phone: what would make the account look tested and taken over.
  const probe = (i: number) => ({
    ...base,
    amount: 100,
    status: 'declined',
    cardFingerprint: `fp-probe-${i}`,
    userAgent: PHONE,
    ip: `198.51.100.${i}`,
    timestamp: start + 30 * DAY + i * 60_000,
  });
  const detect = (server: TestServer, key: string, body: object) =>
    server.call('/api/fraud/detect', { key, method: 'POST', headers: json, body: JSON.stringify(body) });

  it("a read key's probes are refused and the victim's next order scores as on a server that never saw them; the same probes with the ingest key would have changed it", async () => {
    const servers = await Promise.all([startTestServer(), startTestServer()]);
    const [target, control] = servers;
    try {
      for (const server of servers) {
        for (let d = 0; d < 30; d++)
          expect((await detect(server, server.keys.ingest, { ...usual, timestamp: start + d * DAY })).status).toBe(200);
      }
      for (let i = 0; i < 12; i++) expect((await detect(target!, target!.keys.read, probe(i))).status).toBe(403);
      const next = { ...usual, timestamp: start + 31 * DAY };
      const scored = async (server: TestServer) =>
        (await (await detect(server, server.keys.ingest, next)).json()) as { score: number; decision: string };
      const onTarget = await scored(target!);
      expect(onTarget.decision).toBe('allow');
      // The control server's state is the target's, but for the order just scored: give it the same, then the probes
      // with the ingest key (which may write), and the next order judged there is no longer the customer's usual one.
      expect(await scored(control!)).toEqual(onTarget);
      for (let i = 0; i < 12; i++) expect((await detect(control!, control!.keys.ingest, probe(i))).status).toBe(200);
      const poisoned = await scored(control!);
      expect(poisoned.score).toBeGreaterThan(onTarget.score + 10);
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }
  });
});

const login = (server: TestServer, username: string, password: string, headers: Record<string, string> = {}) =>
  server.call('/api/auth/login', {
    key: null,
    method: 'POST',
    headers: { ...json, ...headers },
    body: JSON.stringify({ username, password }),
  });

/** The device cookie a successful login set (`name=value`). */
const deviceCookie = (res: Response): string => {
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('shoplog_device='));
  if (!cookie) throw new Error('no device cookie');
  return cookie.split(';')[0] as string;
};

describe('login rate limit per IP and per account, behind a trusted proxy', () => {
  it('keys the IP limit on X-Forwarded-For from the trusted proxy only, so clients behind it do not share one bucket', async () => {
    t = await startTestServer({ authRateLimit: 3, trustedProxies: ['127.0.0.1'] });
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    for (let i = 0; i < 3; i++) expect((await login(t, `guess-${i}`, 'nope', from('198.51.100.1'))).status).toBe(401);
    expect((await login(t, 'guess-3', 'nope', from('198.51.100.1'))).status).toBe(429);
    // Another client of the same proxy has its own bucket: it gets in.
    expect((await login(t, 'admin', ADMIN_PASSWORD, from('198.51.100.2'))).status).toBe(200);
  });

  it('ignores X-Forwarded-For from anyone else: rotating it does not dodge the IP limit', async () => {
    t = await startTestServer({ authRateLimit: 3 });
    for (let i = 0; i < 3; i++)
      expect((await login(t, `guess-${i}`, 'nope', { 'x-forwarded-for': `198.51.100.${i}` })).status).toBe(401);
    expect((await login(t, 'guess-9', 'nope', { 'x-forwarded-for': '198.51.100.99' })).status).toBe(429);
  });

  it('limits an account guessed at from many IPs, and lets its user in from a browser they logged in from before', async () => {
    t = await startTestServer({ authRateLimit: 3, trustedProxies: ['127.0.0.1'] });
    const first = await login(t, 'admin', ADMIN_PASSWORD, { 'x-forwarded-for': '192.0.2.10' });
    expect(first.status).toBe(200);
    const device = deviceCookie(first);
    expect(first.headers.getSetCookie().find((c) => c.startsWith('shoplog_device='))).toMatch(
      /HttpOnly; SameSite=Strict/,
    );
    // A botnet: one guess per IP against the same account.
    for (let i = 1; i <= 2; i++)
      expect((await login(t, 'admin', `guess-${i}`, { 'x-forwarded-for': `203.0.113.${i}` })).status).toBe(401);
    const refused = await login(t, 'admin', 'guess-3', { 'x-forwarded-for': '203.0.113.3' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Even the right password from a new browser waits: the account's bucket is empty.
    expect((await login(t, 'admin', ADMIN_PASSWORD, { 'x-forwarded-for': '192.0.2.10' })).status).toBe(429);
    // The user's own browser has a bucket of its own.
    expect((await login(t, 'admin', ADMIN_PASSWORD, { 'x-forwarded-for': '192.0.2.10', cookie: device })).status).toBe(
      200,
    );
    // A forged or another account's device cookie is no device at all.
    const [name, value = ''] = device.split('=');
    const forged = `${name}=${value.split('.')[0]}.${'A'.repeat(43)}`;
    expect((await login(t, 'admin', ADMIN_PASSWORD, { 'x-forwarded-for': '192.0.2.11', cookie: forged })).status).toBe(
      429,
    );
  });

  it('refuses a trusted proxy that is not an address or a range, naming the variable', () => {
    expect(loadConfig({ SHOPLOG_TRUSTED_PROXIES: '10.0.0.1, 192.168.0.0/16,::1,loopback' }).trustedProxies).toEqual([
      '10.0.0.1',
      '192.168.0.0/16',
      '::1',
      'loopback',
    ]);
    expect(() => loadConfig({ SHOPLOG_TRUSTED_PROXIES: 'proxy.internal' })).toThrow(
      /trustedProxies.*\(SHOPLOG_TRUSTED_PROXIES\)/,
    );
    expect(() => loadConfig({ SHOPLOG_TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(/SHOPLOG_TRUSTED_PROXIES/);
  });
});

describe('username enumeration', () => {
  it('checks a password for an unknown user as for a known one: one scrypt each', async () => {
    t = await startTestServer({ authRateLimit: 100 });
    await login(t, 'nobody-warm-up', 'x'); // the dummy hash is ready before the first unknown user is timed
    // Count scrypt computations (libuv work requests) while each login runs: no timing, the work itself.
    const scrypts = async (username: string): Promise<number> => {
      let n = 0;
      const hook = createHook({ init: (_id, type) => void (type === 'SCRYPTREQUEST' && n++) }).enable();
      try {
        expect((await login(t!, username, 'wrong password')).status).toBe(401);
      } finally {
        hook.disable();
      }
      return n;
    };
    expect(await scrypts('admin')).toBe(1);
    expect(await scrypts('nobody')).toBe(1);
  });
});

describe('API docs page', () => {
  it('is served with a CSP that loads nothing and cannot be framed', async () => {
    t = await startTestServer();
    const res = await t.call('/api/docs', { key: null });
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });
});

describe('POST /api/users, concurrently', () => {
  it('answers one 201 and 409 for the others, never 500', async () => {
    t = await startTestServer();
    const create = () =>
      t!.call('/api/users', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ username: 'dora', password: 'a long password!', role: 'viewer' }),
      });
    const statuses = (await Promise.all([create(), create(), create(), create()])).map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409]);
  });
});
