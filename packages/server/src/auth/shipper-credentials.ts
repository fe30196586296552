/**
 * The API key inside the `Authorization` schemes that log shippers send to Elasticsearch, or `undefined` when the
 * header is not one of them:
 * - `ApiKey <base64(id:key)>` (Elasticsearch's encoded form: the id part is free, the key is a Shoplog `slk_…` key)
 *   or `ApiKey slk_…` (the raw key);
 * - `Basic <base64(user:password)>` with an API key as the password (the user name is free, e.g. `shoplog`).
 * Only keys: a user's password over Basic auth is never accepted (no scrypt per shipped batch, no password in
 * every shipper config).
 */
export function shipperApiKey(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const space = authorization.indexOf(' ');
  if (space < 0) return undefined;
  const scheme = authorization.slice(0, space).toLowerCase();
  const value = authorization.slice(space + 1).trim();
  if (scheme === 'apikey') {
    if (value.startsWith('slk_')) return value;
    return afterColon(decodeBase64(value)) ?? value;
  }
  if (scheme === 'basic') return afterColon(decodeBase64(value));
  return undefined;
}

function decodeBase64(value: string): string | undefined {
  if (!/^[A-Za-z0-9+/=_-]+$/.test(value)) return undefined;
  return Buffer.from(value, 'base64').toString('utf8');
}

function afterColon(text: string | undefined): string | undefined {
  const colon = text?.indexOf(':') ?? -1;
  const key = colon >= 0 ? text?.slice(colon + 1) : undefined;
  return key ? key : undefined;
}
