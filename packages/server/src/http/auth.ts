import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEVICE_COOKIE, DEVICE_MAX_AGE_SECONDS, deviceToken, knownDevice } from '../auth/device.js';
import { createRateLimiter, type RateLimiter } from '../auth/rate-limit.js';
import { dummyPasswordHash, sha256, verifyPassword } from '../auth/secrets.js';
import { shipperApiKey } from '../auth/shipper-credentials.js';
import type { EpochMs, KeyScope, Role } from '../ports.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';
import { jsonBody, type ZodTypeProvider } from './route-schema.js';
import { z } from 'zod';

const LoginBody = jsonBody({
  username: z.string({ error: 'is required' }),
  password: z.string({ error: 'is required' }),
});

/** Who is calling: an API key or a logged-in user. */
export type Principal =
  | { type: 'key'; id: string; scope: KeyScope; name: string; lastUsedAt: EpochMs | null }
  | { type: 'user'; id: string; username: string; role: Role; csrfToken: string; sessionHash: string };

/** What a route needs. */
export type Permission = 'ingest' | 'read' | 'upload' | 'label' | 'analyst' | 'admin' | 'metrics';

const ALLOWED: Record<Permission, { scopes: KeyScope[]; roles: Role[] }> = {
  ingest: { scopes: ['ingest', 'admin'], roles: ['admin'] },
  read: { scopes: ['read', 'admin'], roles: ['viewer', 'analyst', 'admin'] },
  upload: { scopes: ['ingest', 'admin'], roles: ['analyst', 'admin'] },
  // Fraud labels: the payment backend that sends the transactions (ingest key) or an analyst; never a read key.
  label: { scopes: ['ingest', 'admin'], roles: ['analyst', 'admin'] },
  analyst: { scopes: ['admin'], roles: ['analyst', 'admin'] },
  admin: { scopes: ['admin'], roles: ['admin'] },
  metrics: { scopes: ['metrics', 'admin'], roles: ['admin'] },
};

/**
 * An API key's last use is recorded at most once per minute: the record is a write with a sync (`synchronous=FULL`)
 * on the request thread, which per request cost more than the rest of a bulk request's bookkeeping.
 */
const KEY_TOUCH_INTERVAL_MS = 60_000;

/** Name of the session cookie. */
export const SESSION_COOKIE = 'shoplog_session';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** The owner id used for per-user data (saved searches, history): the user, or the API key. */
export function ownerId(principal: Principal): string {
  return principal.type === 'user' ? principal.id : `key:${principal.id}`;
}

function cookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

/** A `Set-Cookie` value for the session cookie (`''` with max age 0 clears it). */
function sessionCookie(ctx: ServerContext, value: string, maxAgeSeconds: number): string {
  const secure = ctx.config.secureCookies ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

/**
 * Resolves the caller from `Authorization: Bearer`, `X-API-Key` or the session cookie (with `shipperAuth`, also
 * an API key in `Authorization: ApiKey` or `Basic`: see `shipperApiKey`). A cookie whose session has expired (idle
 * or absolute) answers 401 `session_expired` and clears the cookie, unless `lenient` (logout).
 */
export async function resolvePrincipal(
  ctx: ServerContext,
  request: FastifyRequest,
  lenient = false,
  shipperAuth = false,
): Promise<Principal | undefined> {
  const auth = request.headers.authorization;
  const headerKey = request.headers['x-api-key'];
  const key = auth?.startsWith('Bearer ')
    ? auth.slice(7).trim()
    : typeof headerKey === 'string'
      ? headerKey.trim()
      : shipperAuth
        ? shipperApiKey(auth)
        : undefined;
  if (key) {
    const record = await ctx.meta.findApiKey(sha256(key));
    if (!record) throw new HttpError(401, 'unauthorized', 'invalid API key');
    return { type: 'key', id: record.id, scope: record.scope, name: record.name, lastUsedAt: record.lastUsedAt };
  }
  const sessionId = cookie(request, SESSION_COOKIE);
  if (!sessionId) return undefined;
  const session = await ctx.sessions.resolve(sessionId);
  const user = session ? await ctx.meta.getUserById(session.userId) : undefined;
  if (!session || !user) {
    if (lenient) return undefined;
    throw new HttpError(401, 'session_expired', 'the session has expired: log in again', undefined, {
      'set-cookie': sessionCookie(ctx, '', 0),
    });
  }
  return {
    type: 'user',
    id: user.id,
    username: user.username,
    role: user.role,
    csrfToken: session.csrfToken,
    sessionHash: session.idHash,
  };
}

/**
 * A preValidation hook (before the route schemas are checked) that answers 401 without credentials, 403 without the permission or a valid CSRF token.
 * `shipperAuth`: also take the API key from the `ApiKey` and `Basic` schemes of Elasticsearch shippers.
 */
export function guard(ctx: ServerContext, permission: Permission, shipperAuth = false) {
  return async function checkPermission(request: FastifyRequest): Promise<void> {
    const principal = await resolvePrincipal(ctx, request, false, shipperAuth);
    if (!principal) throw new HttpError(401, 'unauthorized', 'an API key or a session is required');
    const allowed = ALLOWED[permission];
    const ok =
      principal.type === 'key' ? allowed.scopes.includes(principal.scope) : allowed.roles.includes(principal.role);
    if (!ok) throw new HttpError(403, 'forbidden', `this route needs the ${permission} permission`);
    if (principal.type === 'user' && !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) {
      // Cookie-authenticated writes need the CSRF token that only our page can read (SameSite=Strict is the first line).
      if (request.headers['x-csrf-token'] !== principal.csrfToken)
        throw new HttpError(403, 'csrf', 'missing or wrong X-CSRF-Token');
    }
    request.principal = principal;
    const now = Date.now();
    if (
      principal.type === 'key' &&
      (principal.lastUsedAt === null || now - principal.lastUsedAt >= KEY_TOUCH_INTERVAL_MS)
    ) {
      // Last-used bookkeeping must never fail the request nor, rejecting unobserved, crash the process.
      ctx.meta
        .touchApiKey(principal.id, now)
        .catch((error: unknown) => request.log.warn({ err: error }, 'could not record the API key use'));
    }
  };
}

/** The principal set by `guard` (routes behind a guard only). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new HttpError(401, 'unauthorized', 'an API key or a session is required');
  return request.principal;
}

const userView = (p: { id: string; username: string; role: Role }) => ({
  id: p.id,
  username: p.username,
  role: p.role,
});

/**
 * Takes a login attempt from each bucket in turn; the first that is empty answers 429 (the later ones are left
 * alone, so an IP that is already limited cannot also drain an account's bucket).
 */
async function takeLoginAttempt(limiter: RateLimiter, buckets: readonly string[]): Promise<void> {
  for (const bucket of buckets) {
    const wait = await limiter.take(bucket);
    if (wait > 0)
      throw new HttpError(429, 'rate_limited', 'too many login attempts', undefined, { 'retry-after': String(wait) });
  }
}

/** Login, logout and `me`. */
export function registerAuthRoutes(fastify: FastifyInstance, ctx: ServerContext): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const limiter = ctx.rateLimiters.auth ?? createRateLimiter(ctx.config.authRateLimit, 60_000);
  const secure = ctx.config.secureCookies ? '; Secure' : '';
  const setCookie = (reply: FastifyReply, value: string, maxAge: number): void => {
    void reply.header('set-cookie', sessionCookie(ctx, value, maxAge));
  };
  // Ready before the first login for an unknown user, so that one is not slower than the rest.
  void dummyPasswordHash();

  const login = {
    summary: 'Log in (sets the session cookie, returns the CSRF token)',
    permission: 'public',
    body: LoginBody,
  } as const;
  app.post('/api/auth/login', { schema: login }, async (request, reply) => {
    const body = request.body;
    const user = await ctx.meta.getUserByUsername(body.username);
    // Attempts are limited per client IP (`request.ip`: X-Forwarded-For only from a configured trusted proxy) and
    // per account, so neither many accounts from one IP nor one account from many IPs can be guessed at. A browser
    // where this user logged in before (its device cookie) has a bucket of its own: a flood of bad guesses against
    // the account, or from the office's shared IP, does not lock the real user out.
    const device = knownDevice(cookie(request, DEVICE_COOKIE), user);
    await takeLoginAttempt(
      limiter,
      device ? [`device:${device}`] : [`ip:${request.ip}`, `user:${body.username.slice(0, 128)}`],
    );
    // An unknown username costs one scrypt too (against a dummy hash): the answer time does not tell it apart.
    const valid = await verifyPassword(body.password, user?.passwordHash ?? (await dummyPasswordHash()));
    if (!user || !valid) throw new HttpError(401, 'unauthorized', 'wrong username or password');
    const { sessionId, csrfToken, maxAgeSeconds } = await ctx.sessions.open(user.id);
    // The cookie lives as long as the absolute lifetime; the idle timeout is the server's to enforce.
    void reply.header('set-cookie', [
      sessionCookie(ctx, sessionId, maxAgeSeconds),
      `${DEVICE_COOKIE}=${deviceToken(user)}; Path=/api/auth/login; HttpOnly; SameSite=Strict; Max-Age=${DEVICE_MAX_AGE_SECONDS}${secure}`,
    ]);
    return { user: userView(user), csrfToken };
  });

  app.post('/api/auth/logout', { schema: { summary: 'Log out', permission: 'session' } }, async (request, reply) => {
    const principal = await resolvePrincipal(ctx, request, true);
    if (principal?.type === 'user') {
      if (request.headers['x-csrf-token'] !== principal.csrfToken)
        throw new HttpError(403, 'csrf', 'missing or wrong X-CSRF-Token');
      await ctx.sessions.close(principal.sessionHash);
    }
    setCookie(reply, '', 0);
    return { ok: true };
  });

  app.get(
    '/api/auth/me',
    { schema: { summary: 'The current user and CSRF token', permission: 'session' } },
    async (request) => {
      const principal = await resolvePrincipal(ctx, request);
      if (!principal) throw new HttpError(401, 'unauthorized', 'not logged in');
      if (principal.type === 'key')
        return { user: null, key: { id: principal.id, name: principal.name, scope: principal.scope } };
      return { user: userView(principal), csrfToken: principal.csrfToken };
    },
  );
}
