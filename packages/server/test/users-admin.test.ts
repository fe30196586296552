// Managing users from the dashboard: another user's role and deletion, with the guards that keep the server
// manageable (nobody changes or deletes their own account, the last admin stays an admin).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from './helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ authRateLimit: 30 });
});
afterAll(async () => {
  await t.close();
});

const json = { 'content-type': 'application/json' };
type UserView = { id: string; username: string; role: string };
const users = async (): Promise<UserView[]> =>
  ((await (await t.call('/api/users')).json()) as { users: UserView[] }).users;
const create = async (username: string, role: string, password = 'a long password!'): Promise<UserView> => {
  const res = await t.call('/api/users', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ username, password, role }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as UserView;
};
const setRole = (id: string, role: unknown, headers: Record<string, string> = {}, key?: string | null) =>
  t.call(`/api/users/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    headers: { ...json, ...headers },
    body: JSON.stringify({ role }),
    ...(key === undefined ? {} : { key }),
  });
const remove = (id: string, headers: Record<string, string> = {}, key?: string | null) =>
  t.call(`/api/users/${encodeURIComponent(id)}`, { method: 'DELETE', headers, ...(key === undefined ? {} : { key }) });

async function login(username: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const res = await t.call('/api/auth/login', {
    key: null,
    method: 'POST',
    headers: json,
    body: JSON.stringify({ username, password }),
  });
  expect(res.status).toBe(200);
  return {
    cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
    csrf: ((await res.json()) as { csrfToken: string }).csrfToken,
  };
}

describe('PATCH /api/users/:id and DELETE /api/users/:id', () => {
  it("changes a role, which the user's open session sees at once", async () => {
    const ana = await create('ana', 'viewer');
    const session = await login('ana', 'a long password!');
    const asAna = (path: string) => t.call(path, { key: null, headers: { cookie: session.cookie } });
    expect((await asAna('/api/logs/uploads/recent')).status).toBe(200);
    expect((await asAna('/api/users')).status).toBe(403);
    const res = await setRole(ana.id, 'admin');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: ana.id, username: 'ana', role: 'admin' });
    expect((await users()).find((u) => u.id === ana.id)?.role).toBe('admin');
    expect((await asAna('/api/users')).status).toBe(200);
    expect((await setRole(ana.id, 'viewer')).status).toBe(200);
    expect((await asAna('/api/users')).status).toBe(403);
  });

  it('refuses a bad role with the field path, and an unknown user with 404', async () => {
    const bob = await create('bob', 'viewer');
    for (const role of ['root', '', null, 3, ['admin']]) {
      const res = await setRole(bob.id, role);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { issues: { path: string }[] } }).error.issues).toEqual([
        { path: 'role', message: 'must be one of viewer, analyst, admin' },
      ]);
    }
    const bad = await t.call(`/api/users/${bob.id}`, { method: 'PATCH', headers: json, body: '{"role":' });
    expect(bad.status).toBe(400);
    expect((await users()).find((u) => u.id === bob.id)?.role).toBe('viewer');
    expect((await setRole('no-such-user', 'analyst')).status).toBe(404);
    expect((await remove('no-such-user')).status).toBe(404);
  });

  it('deletes a user: their session stops working and the username is free again', async () => {
    const cid = await create('cid', 'analyst');
    const session = await login('cid', 'a long password!');
    expect((await t.call('/api/searches', { key: null, headers: { cookie: session.cookie } })).status).toBe(200);
    expect((await remove(cid.id)).status).toBe(204);
    expect((await users()).map((u) => u.username)).not.toContain('cid');
    expect((await t.call('/api/searches', { key: null, headers: { cookie: session.cookie } })).status).toBe(401);
    expect((await remove(cid.id)).status).toBe(404);
    await create('cid', 'viewer');
  });

  it('never lets an admin change or delete their own account, nor removes the last admin', async () => {
    const admin = (await users()).find((u) => u.username === 'admin');
    if (!admin) throw new Error('no admin user');
    const me = await login('admin', ADMIN_PASSWORD);
    const cookie = { cookie: me.cookie, 'x-csrf-token': me.csrf };
    const own = await setRole(admin.id, 'viewer', cookie, null);
    expect(own.status).toBe(409);
    expect(((await own.json()) as { error: { message: string } }).error.message).toContain('your own role');
    expect((await remove(admin.id, cookie, null)).status).toBe(409);
    // With the admin key (no user), the only admin still cannot be demoted or deleted.
    for (const u of await users())
      if (u.role === 'admin' && u.id !== admin.id) expect((await setRole(u.id, 'viewer')).status).toBe(200);
    const last = await setRole(admin.id, 'analyst');
    expect(last.status).toBe(409);
    expect(((await last.json()) as { error: { message: string } }).error.message).toContain('last admin');
    expect((await remove(admin.id)).status).toBe(409);
    // With a second admin, the first one can go.
    const dee = await create('dee', 'admin');
    const asDee = await login('dee', 'a long password!');
    expect(
      (await setRole(admin.id, 'analyst', { cookie: asDee.cookie, 'x-csrf-token': asDee.csrf }, null)).status,
    ).toBe(200);
    expect((await setRole(admin.id, 'admin')).status).toBe(200);
    expect((await remove(dee.id, cookie, null)).status).toBe(204);
  });

  it('needs the CSRF token on a cookie-authenticated change', async () => {
    const eve = await create('eve', 'viewer');
    const me = await login('admin', ADMIN_PASSWORD);
    const res = await setRole(eve.id, 'admin', { cookie: me.cookie }, null);
    expect(res.status).toBe(403);
    expect((await remove(eve.id, { cookie: me.cookie }, null)).status).toBe(403);
    expect((await users()).find((u) => u.id === eve.id)?.role).toBe('viewer');
  });
});
