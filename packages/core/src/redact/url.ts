// `scheme://user:password@host`: the password part of the userinfo.
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)([^/?#@]*)@/i;

/**
 * Masks the secrets of a URL or a query string: the password of `scheme://user:password@host`, and the values of
 * query parameters whose name `isSensitive` flags (`?token=abc&q=shoes` → `?token=[REDACTED]&q=shoes`). The
 * fragment is kept. Returns the same string when nothing was masked.
 */
export function redactUrl(url: string, isSensitive: (name: string) => boolean, replacement = '[REDACTED]'): string {
  // Kept readable (`[REDACTED]`) unless the text would break the query string.
  const value = /[&#=]/.test(replacement) ? encodeURIComponent(replacement) : replacement;
  let out = url.replace(USERINFO, (_m, head: string, password: string) =>
    password ? `${head}${replacement}@` : `${head}@`,
  );
  const q = out.indexOf('?');
  const looksLikeQuery = q < 0 && !out.includes('://') && out.includes('=');
  if (q < 0 && !looksLikeQuery) return out;
  const start = q < 0 ? 0 : q + 1;
  const hash = out.indexOf('#', start);
  const end = hash < 0 ? out.length : hash;
  const params = out.slice(start, end).split('&');
  let changed = false;
  for (let i = 0; i < params.length; i++) {
    const param = params[i] as string;
    const eq = param.indexOf('=');
    if (eq <= 0) continue;
    let name = param.slice(0, eq);
    try {
      name = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      // A malformed escape: judge the raw name.
    }
    if (isSensitive(name) && param.length > eq + 1) {
      params[i] = `${param.slice(0, eq + 1)}${value}`;
      changed = true;
    }
  }
  if (changed) out = out.slice(0, start) + params.join('&') + out.slice(end);
  return out;
}
