import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { generateApiKey, hashPassword, sha256 } from '../auth/secrets.js';
import type { KeyScope, MetaStore, Role } from '../ports.js';
import { guard, principalOf, type Principal } from './auth.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';
import { IdParams, jsonBody, type ZodTypeProvider } from './route-schema.js';
import { z } from 'zod';

const SCOPES = ['ingest', 'read', 'metrics', 'admin'] as const satisfies readonly KeyScope[];
const ROLES = ['viewer', 'analyst', 'admin'] as const satisfies readonly Role[];

const KeyBody = jsonBody({
  name: z
    .string({ error: 'must be a non-empty string' })
    .max(200, 'must be a non-empty string')
    .trim()
    .min(1, 'must be a non-empty string'),
  scope: z.enum(SCOPES, { error: `must be one of ${SCOPES.join(', ')}` }),
});
const UserBody = jsonBody({
  username: z
    .string({ error: 'must be 2 to 64 letters, digits or _.@-' })
    .regex(/^[A-Za-z0-9_.@-]{2,64}$/, 'must be 2 to 64 letters, digits or _.@-'),
  password: z
    .string({ error: 'must be 12 to 256 characters' })
    .min(12, 'must be 12 to 256 characters')
    .max(256, 'must be 12 to 256 characters'),
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
});

const RoleBody = jsonBody({ role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }) });

/** Creates an API key and returns it once (only its SHA-256 is stored). */
export async function createApiKey(
  meta: MetaStore,
  name: string,
  scope: KeyScope,
  key: string = generateApiKey(),
): Promise<{ id: string; key: string }> {
  const id = randomUUID();
  await meta.createApiKey({
    id,
    name,
    scope,
    keyHash: sha256(key),
    prefix: key.slice(0, 8),
    createdAt: Date.now(),
    lastUsedAt: null,
  });
  return { id, key };
}

/** Creates a user with a scrypt-hashed password. */
export async function createUser(
  meta: MetaStore,
  username: string,
  password: string,
  role: Role,
): Promise<{ id: string; username: string; role: Role }> {
  const id = randomUUID();
  await meta.createUser({ id, username, role, passwordHash: await hashPassword(password), createdAt: Date.now() });
  return { id, username, role };
}

/** API keys and users (admin only: nobody can give themselves a role). */
export function registerAdminRoutes(fastify: FastifyInstance, ctx: ServerContext): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const admin = guard(ctx, 'admin');

  app.post(
    '/api/keys',
    { preValidation: admin, schema: { summary: 'Create an API key (shown once)', permission: 'admin', body: KeyBody } },
    async (request, reply) => {
      const { name, scope } = request.body;
      const created = await createApiKey(ctx.meta, name, scope);
      return reply.code(201).send({ ...created, name, scope });
    },
  );

  app.get(
    '/api/keys',
    { preValidation: admin, schema: { summary: 'List API keys', permission: 'admin' } },
    async () => ({
      keys: (await ctx.meta.listApiKeys()).map((k) => ({
        id: k.id,
        name: k.name,
        scope: k.scope,
        prefix: k.prefix,
        created_at: new Date(k.createdAt).toISOString(),
        last_used_at: k.lastUsedAt === null ? null : new Date(k.lastUsedAt).toISOString(),
      })),
    }),
  );

  app.delete(
    '/api/keys/:id',
    { preValidation: admin, schema: { summary: 'Revoke an API key', permission: 'admin', params: IdParams } },
    async (request, reply) => {
      const { id } = request.params;
      if (!(await ctx.meta.deleteApiKey(id))) throw new HttpError(404, 'not_found', 'no such key');
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/users',
    { preValidation: admin, schema: { summary: 'Create a user', permission: 'admin', body: UserBody } },
    async (request, reply) => {
      const { username, password, role } = request.body;
      if (await ctx.meta.getUserByUsername(username)) throw new HttpError(409, 'conflict', 'this username is taken');
      const user = await createUser(ctx.meta, username, password, role);
      return reply.code(201).send(user);
    },
  );

  app.get('/api/users', { preValidation: admin, schema: { summary: 'List users', permission: 'admin' } }, async () => ({
    users: (await ctx.meta.listUsers()).map((u) => ({
      id: u.id,
      username: u.username,
      role: u.role,
      created_at: new Date(u.createdAt).toISOString(),
    })),
  }));

  // Another user's role; nobody changes or deletes their own account, and the last admin stays an admin.
  app.patch(
    '/api/users/:id',
    {
      preValidation: admin,
      schema: { summary: "Change another user's role", permission: 'admin', params: IdParams, body: RoleBody },
    },
    async (request) => {
      const { id } = request.params;
      const { role } = request.body;
      const user = await otherUser(ctx.meta, principalOf(request), id, 'change your own role');
      if (user.role === 'admin' && role !== 'admin') await keepAnAdmin(ctx.meta);
      await ctx.meta.setUserRole(id, role);
      return { id: user.id, username: user.username, role };
    },
  );

  app.delete(
    '/api/users/:id',
    { preValidation: admin, schema: { summary: 'Delete another user', permission: 'admin', params: IdParams } },
    async (request, reply) => {
      const { id } = request.params;
      const user = await otherUser(ctx.meta, principalOf(request), id, 'delete your own account');
      if (user.role === 'admin') await keepAnAdmin(ctx.meta);
      if (!(await ctx.meta.deleteUser(id))) throw new HttpError(404, 'not_found', 'no such user');
      return reply.code(204).send();
    },
  );
}

/** The user `id`, when it exists and is not the caller (`what` says what the caller may not do to themselves). */
async function otherUser(meta: MetaStore, principal: Principal, id: string, what: string) {
  if (principal.type === 'user' && principal.id === id)
    throw new HttpError(409, 'conflict', `you cannot ${what}: ask another admin`);
  const user = await meta.getUserById(id);
  if (!user) throw new HttpError(404, 'not_found', 'no such user');
  return user;
}

/** Refuses to remove an admin when it is the only one (the server would have nobody to manage users and keys). */
async function keepAnAdmin(meta: MetaStore): Promise<void> {
  const admins = (await meta.listUsers()).filter((u) => u.role === 'admin').length;
  if (admins <= 1) throw new HttpError(409, 'conflict', 'this is the last admin: make another user admin first');
}
