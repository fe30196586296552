import type { Session } from './types.js';

/** An error answered by the API, carrying its code and issues for display. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: { path?: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Query parameters; empty values are left out. */
export type Query = Record<string, string | number | null | undefined>;

let csrfToken: string | null = null;
const unauthorizedListeners: (() => void)[] = [];

/** Called when any request answers 401, so the shell can show the login page. */
export function onUnauthorized(fn: () => void): void {
  unauthorizedListeners.push(fn);
}

/** Remembers the CSRF token from login / me (kept in memory only, never in storage). */
export function setCsrf(token: string | null): void {
  csrfToken = token;
}

/** The CSRF token for requests sent outside `api` (uploads). */
export function csrf(): string | null {
  return csrfToken;
}

/** Parses a response body, or null when it is empty or not JSON (a proxy's HTML error page, say). */
export function parseJson(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : null;
  } catch {
    return null;
  }
}

/** Builds `path?query` leaving out empty values. */
export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== null && v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

/** Turns an error response body into an ApiError. */
export function toApiError(status: number, body: unknown): ApiError {
  const err = (
    body as { error?: { code?: string; message?: string; issues?: { path?: string; message: string }[] } } | null
  )?.error;
  const fallback = status === 0 ? 'The server could not be reached.' : `Request failed (${status}).`;
  return new ApiError(status, err?.code ?? 'http_error', err?.message ?? fallback, err?.issues ?? []);
}

/** Calls the API with the session cookie, the CSRF header on unsafe methods, and JSON in and out. */
export async function api<T>(
  path: string,
  opts: { method?: string; query?: Query; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(withQuery(path, opts.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? null : JSON.stringify(opts.body),
      signal: opts.signal ?? null,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw toApiError(0, null);
  }
  const body = parseJson(await res.text());
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/api/auth/login')) for (const fn of unauthorizedListeners) fn();
    throw toApiError(res.status, body);
  }
  return body as T;
}

/** Signs in and keeps the CSRF token. */
export async function login(username: string, password: string): Promise<Session> {
  const s = await api<Session>('/api/auth/login', { method: 'POST', body: { username, password } });
  setCsrf(s.csrfToken);
  return s;
}

/** Restores the session from the cookie, or null when signed out. */
export async function me(): Promise<Session | null> {
  try {
    const s = await api<Session>('/api/auth/me');
    setCsrf(s.csrfToken);
    return s;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

/** Signs out. */
export async function logout(): Promise<void> {
  await api('/api/auth/logout', { method: 'POST', body: {} });
  setCsrf(null);
}
