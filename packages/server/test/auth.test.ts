import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from './helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ authRateLimit: 30 });
});
afterAll(async () => {
  await t.close();
});

type Perm = 'ingest' | 'read' | 'upload' | 'analyst' | 'admin';
const ROUTES: [string, string, Perm][] = [
  ['POST', '/api/logs/ingest', 'ingest'],
  ['POST', '/api/logs/_bulk', 'ingest'],
  ['POST', '/api/logs/upload', 'upload'],
  ['GET', '/api/logs/uploads/recent', 'read'],
  ['GET', '/api/logs/uploads/x', 'read'],
  ['GET', '/api/logs/recent', 'read'],
  ['GET', '/api/logs/types', 'read'],
  ['GET', '/api/logs/tail', 'read'],
  ['GET', '/api/logs/some-id', 'read'],
  ['GET', '/api/search/', 'read'],
  ['GET', '/api/search/autocomplete?q=ab', 'read'],
  ['GET', '/api/search/fields', 'read'],
  ['GET', '/api/search/histogram', 'read'],
  ['GET', '/api/search/history', 'read'],
  ['GET', '/api/searches', 'read'],
  ['POST', '/api/searches', 'analyst'],
  ['DELETE', '/api/searches/x', 'analyst'],
  ['GET', '/api/dashboard/overview', 'read'],
  ['GET', '/api/dashboard/kpis', 'read'],
  ['GET', '/api/dashboard/health', 'read'],
  ['GET', '/api/analytics/transactions', 'read'],
  ['GET', '/api/analytics/errors', 'read'],
  ['GET', '/api/analytics/user-behavior', 'read'],
  ['GET', '/api/performance/metrics', 'read'],
  ['GET', '/api/fraud/alerts', 'read'],
  ['GET', '/api/fraud/stats', 'read'],
  ['POST', '/api/fraud/detect', 'ingest'],
  ['GET', '/api/alerts/rules', 'read'],
  ['POST', '/api/alerts/rules', 'analyst'],
  ['DELETE', '/api/alerts/rules/x', 'analyst'],
  ['GET', '/api/alerts', 'read'],
  ['POST', '/api/alerts/evaluate', 'analyst'],
  ['GET', '/api/alerts/channels', 'read'],
  ['GET', '/api/alerts/history', 'read'],
  ['POST', '/api/keys', 'admin'],
  ['GET', '/api/keys', 'admin'],
  ['DELETE', '/api/keys/x', 'admin'],
  ['POST', '/api/users', 'admin'],
  ['GET', '/api/users', 'admin'],
  ['PATCH', '/api/users/x', 'admin'],
  ['DELETE', '/api/users/x', 'admin'],
];
const WRONG_KEY: Record<Perm, 'read' | 'ingest'> = {
  ingest: 'read',
  upload: 'read',
  read: 'ingest',
  analyst: 'ingest',
  admin: 'read',
};

async function login(username: string, password: string): Promise<{ cookie: string; csrf: string; status: number }> {
  const res = await t.call('/api/auth/login', {
    key: null,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const cookie = res.headers.get('set-cookie') ?? '';
  const body = (await res.json()) as { csrfToken?: string };
  return { cookie: cookie.split(';')[0] ?? '', csrf: body.csrfToken ?? '', status: res.status };
}

describe('authorization on every route', () => {
  it.each(ROUTES)('%s %s answers 401 without credentials, 403 with the wrong scope', async (method, path, perm) => {
    const init = {
      method,
      headers: { 'content-type': 'application/json' },
      ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
    };
    expect((await t.call(path, { ...init, key: null })).status).toBe(401);
    expect((await t.call(path, { ...init, key: 'slk_not-a-real-key-000000000000' })).status).toBe(401);
    const wrong = await t.call(path, { ...init, key: t.keys[WRONG_KEY[perm]] });
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('forbidden');
  });

  it('keeps /health public', async () => {
    const res = await t.call('/health', { key: null });
    expect(await res.json()).toMatchObject({ status: 'healthy', service: 'shoplog' });
  });
});

describe('users, sessions and CSRF', () => {
  it('logs in with an httpOnly SameSite=Strict cookie; cookie writes need the CSRF token; roles are enforced', async () => {
    const create = (username: string, role: string) =>
      t.call('/api/users', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: 'a long password!', role }),
      });
    expect((await create('vera', 'viewer')).status).toBe(201);
    expect((await create('anna', 'analyst')).status).toBe(201);
    expect((await create('vera', 'viewer')).status).toBe(409);

    const raw = await t.call('/api/auth/login', {
      key: null,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'vera', password: 'a long password!' }),
    });
    const setCookie = raw.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/shoplog_session=/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);

    const viewer = await login('vera', 'a long password!');
    const asViewer = (path: string, init: RequestInit = {}) =>
      t.call(path, {
        ...init,
        key: null,
        headers: {
          cookie: viewer.cookie,
          'content-type': 'application/json',
          ...(init.headers as Record<string, string>),
        },
      });
    expect((await asViewer('/api/dashboard/overview')).status).toBe(200);
    const me = (await (await asViewer('/api/auth/me')).json()) as { user: { role: string }; csrfToken: string };
    expect(me.user.role).toBe('viewer');
    expect(me.csrfToken).toBe(viewer.csrf);
    // A viewer cannot create users (nobody gives themselves a role), nor save searches.
    expect(
      (
        await asViewer('/api/users', {
          method: 'POST',
          headers: { 'x-csrf-token': viewer.csrf },
          body: JSON.stringify({ username: 'x1', password: 'a long password!', role: 'admin' }),
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await asViewer('/api/searches', {
          method: 'POST',
          headers: { 'x-csrf-token': viewer.csrf },
          body: '{"name":"n","params":{}}',
        })
      ).status,
    ).toBe(403);

    const analyst = await login('anna', 'a long password!');
    const asAnalyst = (path: string, init: RequestInit = {}) =>
      t.call(path, {
        ...init,
        key: null,
        headers: {
          cookie: analyst.cookie,
          'content-type': 'application/json',
          ...(init.headers as Record<string, string>),
        },
      });
    const save = (headers: Record<string, string>) =>
      asAnalyst('/api/searches', {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'errors', params: { level: 'error' } }),
      });
    const noCsrf = await save({});
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as { error: { code: string } }).error.code).toBe('csrf');
    expect((await save({ 'x-csrf-token': analyst.csrf })).status).toBe(201);
    const list = (await (await asAnalyst('/api/searches')).json()) as { searches: { name: string }[] };
    expect(list.searches.map((s) => s.name)).toEqual(['errors']);
    // Saved searches are per user.
    expect(((await (await asViewer('/api/searches')).json()) as { searches: unknown[] }).searches).toEqual([]);

    expect(
      (await asAnalyst('/api/auth/logout', { method: 'POST', headers: { 'x-csrf-token': analyst.csrf } })).status,
    ).toBe(200);
    expect((await asAnalyst('/api/searches')).status).toBe(401);
  });

  it('refuses a wrong password and the admin key works for admin routes', async () => {
    expect((await login('admin', 'wrong password')).status).toBe(401);
    expect((await login('admin', ADMIN_PASSWORD)).status).toBe(200);
    const created = await t.call('/api/keys', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci', scope: 'read' }),
    });
    expect(created.status).toBe(201);
    const { id, key } = (await created.json()) as { id: string; key: string };
    expect(key).toMatch(/^slk_/);
    expect((await t.call('/api/logs/types', { key })).status).toBe(200);
    const listed = (await (await t.call('/api/keys')).json()) as { keys: Record<string, unknown>[] };
    expect(JSON.stringify(listed)).not.toContain(key);
    expect((await t.call(`/api/keys/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await t.call('/api/logs/types', { key })).status).toBe(401);
  });

  it("records an API key's last use, at most once a minute (not a synced write per request)", async () => {
    const created = await t.call('/api/keys', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'touch', scope: 'read' }),
    });
    const { id, key } = (await created.json()) as { id: string; key: string };
    const lastUsed = async (): Promise<string | null> => {
      const { keys } = (await (await t.call('/api/keys')).json()) as {
        keys: { id: string; last_used_at: string | null }[];
      };
      return keys.find((k) => k.id === id)?.last_used_at ?? null;
    };
    expect(await lastUsed()).toBeNull();
    expect((await t.call('/api/logs/types', { key })).status).toBe(200);
    // The touch is not awaited by the request: wait until it is stored.
    await expect.poll(lastUsed).not.toBeNull();
    const first = await lastUsed();
    expect((await t.call('/api/logs/types', { key })).status).toBe(200);
    expect((await t.call('/api/logs/types', { key })).status).toBe(200);
    expect(await lastUsed()).toBe(first);
    // A use more than a minute after the recorded one is recorded again.
    const old = Date.parse(first ?? '') - 61_000;
    await t.server.stores.meta.touchApiKey(id, old);
    expect((await t.call('/api/logs/types', { key })).status).toBe(200);
    await expect.poll(async () => Date.parse((await lastUsed()) ?? '') > old).toBe(true);
    expect((await t.call(`/api/keys/${id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('rate-limits login attempts per IP with 429 and Retry-After', async () => {
    const limited = await startTestServer({ authRateLimit: 2 });
    try {
      const attempt = () =>
        limited.call('/api/auth/login', {
          key: null,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"username":"x","password":"y"}',
        });
      expect((await attempt()).status).toBe(401);
      expect((await attempt()).status).toBe(401);
      const third = await attempt();
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});
