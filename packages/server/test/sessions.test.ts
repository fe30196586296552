import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/index.js';
import { sha256 } from '../src/auth/secrets.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from './helpers.js';

const MINUTE = 60_000;
// The server's clock: tests move it instead of sleeping. It starts at the real time so the store's own sweep of
// expired rows (on the real clock) never removes a session the test still expects.
let now = Date.now();
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ authRateLimit: 100, sessionIdleMinutes: 30, sessionMaxHours: 2, clock: () => now });
});
afterAll(async () => {
  await t.close();
});

async function login(): Promise<{ cookie: string; csrf: string; hash: string; setCookie: string }> {
  const res = await t.call('/api/auth/login', {
    key: null,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  expect(res.status).toBe(200);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0] ?? '';
  return {
    cookie,
    csrf: ((await res.json()) as { csrfToken: string }).csrfToken,
    hash: sha256(cookie.slice(cookie.indexOf('=') + 1)),
    setCookie,
  };
}
const me = (cookie: string) => t.call('/api/auth/me', { key: null, headers: { cookie } });
const overview = (cookie: string) => t.call('/api/dashboard/overview', { key: null, headers: { cookie } });
// The stored row whatever its expiry (`now` 0): shows renewals and deletions as the store holds them.
const row = (hash: string) => t.server.stores.meta.getSession(hash, 0);

describe('web sessions: idle timeout and absolute lifetime', () => {
  it('expires a session unused for the idle timeout: 401 session_expired, cookie cleared, row deleted', async () => {
    now = Date.now();
    const s = await login();
    expect(s.setCookie).toContain('Max-Age=7200');
    now += 29 * MINUTE;
    expect((await overview(s.cookie)).status).toBe(200);
    now += 29 * MINUTE; // 58 minutes after login, but only 29 after the last use
    expect((await me(s.cookie)).status).toBe(200);
    now += 30 * MINUTE;
    const expired = await overview(s.cookie);
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('session_expired');
    expect(expired.headers.get('set-cookie')).toMatch(/^shoplog_session=; .*Max-Age=0/);
    expect(await row(s.hash)).toBeUndefined();
    expect((await me(s.cookie)).status).toBe(401);
  });

  it('renews the idle clock on use at most once a minute (the stored deadline moves only then)', async () => {
    now = Date.now();
    const s = await login();
    const first = (await row(s.hash))?.expiresAt;
    expect(first).toBe(now + 30 * MINUTE);
    now += 59_000;
    expect((await overview(s.cookie)).status).toBe(200);
    expect((await row(s.hash))?.expiresAt).toBe(first);
    now += 1_000;
    expect((await overview(s.cookie)).status).toBe(200);
    expect((await row(s.hash))?.expiresAt).toBe(now + 30 * MINUTE);
    // The renewed row keeps its CSRF token: a cookie write still needs (and accepts) the same one.
    const write = await t.call('/api/searches', {
      key: null,
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/json', 'x-csrf-token': s.csrf },
      body: JSON.stringify({ name: 'after renewal', params: { q: 'x' } }),
    });
    expect(write.status).toBe(201);
  });

  it('ends a session at its absolute lifetime however recently it was used', async () => {
    now = Date.now();
    const start = now;
    const s = await login();
    for (let minutes = 20; minutes < 120; minutes += 20) {
      now = start + minutes * MINUTE;
      expect((await overview(s.cookie)).status).toBe(200);
    }
    // Renewals never push the deadline past login + 2 h.
    expect((await row(s.hash))?.expiresAt).toBe(start + 120 * MINUTE);
    now = start + 120 * MINUTE - 1;
    expect((await me(s.cookie)).status).toBe(200);
    now = start + 120 * MINUTE;
    const expired = await overview(s.cookie);
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('session_expired');
    expect(await row(s.hash)).toBeUndefined();
  });

  it('logs out an expired session without an error and clears its cookie', async () => {
    now = Date.now();
    const s = await login();
    now += 31 * MINUTE;
    const res = await t.call('/api/auth/logout', {
      key: null,
      method: 'POST',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });
});

describe('session settings', () => {
  it('defaults to 30 idle minutes and 12 hours, and names a bad setting', () => {
    expect(loadConfig({})).toMatchObject({ sessionIdleMinutes: 30, sessionMaxHours: 12 });
    expect(loadConfig({ SHOPLOG_SESSION_IDLE_MINUTES: '15', SHOPLOG_SESSION_MAX_HOURS: '8' })).toMatchObject({
      sessionIdleMinutes: 15,
      sessionMaxHours: 8,
    });
    expect(() => loadConfig({ SHOPLOG_SESSION_IDLE_MINUTES: '0' })).toThrow(
      /sessionIdleMinutes \(SHOPLOG_SESSION_IDLE_MINUTES\)/,
    );
    expect(() => loadConfig({ SHOPLOG_SESSION_MAX_HOURS: 'soon' })).toThrow(
      /sessionMaxHours \(SHOPLOG_SESSION_MAX_HOURS\)/,
    );
    expect(() => loadConfig({ SHOPLOG_SESSION_TTL_MINUTES: '720' })).toThrow(
      /SHOPLOG_SESSION_TTL_MINUTES is replaced by SHOPLOG_SESSION_IDLE_MINUTES and SHOPLOG_SESSION_MAX_HOURS/,
    );
    expect(() => loadConfig({ SHOPLOG_SESSION_IDLE_MINUTES: '180', SHOPLOG_SESSION_MAX_HOURS: '2' })).toThrow(
      /sessionIdleMinutes \(SHOPLOG_SESSION_IDLE_MINUTES\): must not be longer than sessionMaxHours/,
    );
  });
});
