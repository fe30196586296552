import type { Redactor } from '@shoplog/core';

/** What the middleware needs of core's redactor (`createRedactor()`). */
export type RedactorLike = Pick<Redactor, 'redact' | 'redactUrl'>;

/** `url.path` and `url.query` of a request, redacted. */
export interface RedactedUrl {
  path: string;
  query: string | undefined;
}

const MAX_PATH = 4096;
const MAX_QUERY = 4096;
// A request target in absolute form (`GET http://user:pass@host/x`, as sent to proxies): scheme and authority.
const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

/**
 * Splits a request target into `url.path` and `url.query` with secrets removed: the scheme, host and any
 * credentials of an absolute-form target are dropped; core's redactor masks card numbers in the path, and the
 * values of sensitive query parameters (`token`, `password`, `api_key`, …) and card numbers in the query.
 */
export function splitTarget(target: string, redactor: RedactorLike): RedactedUrl {
  let raw = target;
  if (raw.charCodeAt(0) !== 47 /* '/' */) {
    const m = ABSOLUTE_FORM.exec(raw);
    if (m) raw = raw.slice(m[0].length) || '/';
  }
  const q = raw.indexOf('?');
  const path = redactor.redact(q === -1 ? raw : raw.slice(0, q));
  // Keep the `?`: core then always parses the parameters, even when a value holds a URL (`next=https://…`).
  const query = q === -1 || q === raw.length - 1 ? undefined : redactor.redactUrl(raw.slice(q)).slice(1);
  return {
    path: path.length > MAX_PATH ? path.slice(0, MAX_PATH) : path,
    query: query !== undefined && query.length > MAX_QUERY ? query.slice(0, MAX_QUERY) : query,
  };
}

/** Copies the allow-listed headers (lower-case names), then runs core's redactor over them. */
export function pickHeaders(
  headers: Record<string, string | string[] | number | undefined>,
  allow: readonly string[],
  redactor: RedactorLike,
): Record<string, string | string[]> | undefined {
  let out: Record<string, string | string[]> | undefined;
  for (const name of allow) {
    const value = headers[name];
    if (value === undefined) continue;
    out ??= {};
    out[name] = typeof value === 'number' ? String(value) : value;
  }
  return out && redactor.redact(out);
}
