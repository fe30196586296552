import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { generateApiKey, hashPassword, sha256 } from '../auth/secrets.js';
import type { KeyScope, MetaStore, Role } from '../ports.js';
import { guard } from './auth.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';

const SCOPES: readonly KeyScope[] = ['ingest', 'read', 'metrics', 'admin'];
const ROLES: readonly Role[] = ['viewer', 'analyst', 'admin'];

/** Creates an API key and returns it once (only its SHA-256 is stored). */
export async function createApiKey(meta: MetaStore, name: string, scope: KeyScope, key: string = generateApiKey()): Promise<{ id: string; key: string }> {
  const id = randomUUID();
  await meta.createApiKey({ id, name, scope, keyHash: sha256(key), prefix: key.slice(0, 8), createdAt: Date.now(), lastUsedAt: null });
  return { id, key };
}

/** Creates a user with a scrypt-hashed password. */
export async function createUser(meta: MetaStore, username: string, password: string, role: Role): Promise<{ id: string; username: string; role: Role }> {
  const id = randomUUID();
  await meta.createUser({ id, username, role, passwordHash: await hashPassword(password), createdAt: Date.now() });
  return { id, username, role };
}

/** API keys and users (admin only: nobody can give themselves a role). */
export function registerAdminRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const admin = guard(ctx, 'admin');

  app.post('/api/keys', { preHandler: admin }, async (request, reply) => {
    const body = (request.body ?? {}) as { name?: unknown; scope?: unknown };
    const issues = [
      ...(typeof body.name !== 'string' || body.name.trim() === '' || body.name.length > 200 ? [{ path: 'name', message: 'must be a non-empty string' }] : []),
      ...(!SCOPES.includes(body.scope as KeyScope) ? [{ path: 'scope', message: `must be one of ${SCOPES.join(', ')}` }] : []),
    ];
    if (issues.length > 0) throw new HttpError(400, 'bad_request', 'invalid key', issues);
    const created = await createApiKey(ctx.meta, (body.name as string).trim(), body.scope as KeyScope);
    return reply.code(201).send({ ...created, name: (body.name as string).trim(), scope: body.scope });
  });

  app.get('/api/keys', { preHandler: admin }, async () => ({
    keys: (await ctx.meta.listApiKeys()).map((k) => ({
      id: k.id, name: k.name, scope: k.scope, prefix: k.prefix,
      created_at: new Date(k.createdAt).toISOString(), last_used_at: k.lastUsedAt === null ? null : new Date(k.lastUsedAt).toISOString(),
    })),
  }));

  app.delete('/api/keys/:id', { preHandler: admin }, async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!(await ctx.meta.deleteApiKey(id))) throw new HttpError(404, 'not_found', 'no such key');
    return reply.code(204).send();
  });

  app.post('/api/users', { preHandler: admin }, async (request, reply) => {
    const body = (request.body ?? {}) as { username?: unknown; password?: unknown; role?: unknown };
    const issues = [
      ...(typeof body.username !== 'string' || !/^[A-Za-z0-9_.@-]{2,64}$/.test(body.username) ? [{ path: 'username', message: 'must be 2 to 64 letters, digits or _.@-' }] : []),
      ...(typeof body.password !== 'string' || body.password.length < 12 || body.password.length > 256 ? [{ path: 'password', message: 'must be 12 to 256 characters' }] : []),
      ...(!ROLES.includes(body.role as Role) ? [{ path: 'role', message: `must be one of ${ROLES.join(', ')}` }] : []),
    ];
    if (issues.length > 0) throw new HttpError(400, 'bad_request', 'invalid user', issues);
    if (await ctx.meta.getUserByUsername(body.username as string)) throw new HttpError(409, 'conflict', 'this username is taken');
    const user = await createUser(ctx.meta, body.username as string, body.password as string, body.role as Role);
    return reply.code(201).send(user);
  });

  app.get('/api/users', { preHandler: admin }, async () => ({
    users: (await ctx.meta.listUsers()).map((u) => ({ id: u.id, username: u.username, role: u.role, created_at: new Date(u.createdAt).toISOString() })),
  }));
}
