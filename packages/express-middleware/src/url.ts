/** What URL redaction needs from core's redactor (`createRedactor()`). */
export interface UrlRedactor {
  redact<T>(value: T): T;
  isSensitiveKey(key: string): boolean;
}

/** `url.path` and `url.query` of a request, redacted. */
export interface RedactedUrl {
  path: string;
  query: string | undefined;
}

const MAX_PATH = 4096;
const MAX_QUERY = 4096;
const MASK = '[REDACTED]';
// A request target in absolute form (`GET http://user:pass@host/x`, as sent to proxies): scheme and authority.
const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;
// Credentials embedded in a URL anywhere in a value (`?next=https://user:pass@host/`), also percent-encoded.
const EMBEDDED_CREDENTIALS = /(\/\/|%2F%2F)[^/@?#&\s]+(@|%40)/gi;

function decodeKey(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

function redactQuery(query: string, redactor: UrlRedactor): string {
  let out = '';
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const key = eq === -1 ? pair : pair.slice(0, eq);
    let part: string;
    if (eq !== -1 && redactor.isSensitiveKey(decodeKey(key))) part = `${key}=${MASK}`;
    else part = redactor.redact(pair).replace(EMBEDDED_CREDENTIALS, `$1${MASK}$2`);
    out = out === '' ? part : `${out}&${part}`;
  }
  return out;
}

/**
 * Splits a request target into `url.path` and `url.query` with secrets removed: the scheme, host and any
 * credentials of an absolute-form target are dropped, card numbers are masked (core's redactor), and the values
 * of query parameters with sensitive names (`token`, `password`, `api_key`, …) are replaced.
 */
export function redactUrl(target: string, redactor: UrlRedactor): RedactedUrl {
  let raw = target;
  if (raw.charCodeAt(0) !== 47 /* '/' */) {
    const m = ABSOLUTE_FORM.exec(raw);
    if (m) raw = raw.slice(m[0].length) || '/';
  }
  const q = raw.indexOf('?');
  const path = redactor.redact(q === -1 ? raw : raw.slice(0, q));
  const query = q === -1 || q === raw.length - 1 ? undefined : redactQuery(raw.slice(q + 1), redactor);
  return {
    path: path.length > MAX_PATH ? path.slice(0, MAX_PATH) : path,
    query: query !== undefined && query.length > MAX_QUERY ? query.slice(0, MAX_QUERY) : query,
  };
}

/** Copies the allow-listed headers (lower-case names), then runs core's redactor over them. */
export function pickHeaders(
  headers: Record<string, string | string[] | number | undefined>,
  allow: readonly string[],
  redactor: UrlRedactor,
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
