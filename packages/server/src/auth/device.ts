import { createHmac, timingSafeEqual } from 'node:crypto';
import { randomToken } from './secrets.js';

/** Name of the cookie that marks a browser where a user has logged in before. */
export const DEVICE_COOKIE = 'shoplog_device';

/** How long a device stays known after its last successful login. */
export const DEVICE_MAX_AGE_SECONDS = 90 * 24 * 3600;

// Keyed with the user's stored password hash: only the server can mint or check a token, nothing has to be stored
// for it, every instance agrees on it, and a password change forgets every device.
const mac = (user: { id: string; passwordHash: string }, nonce: string): string =>
  createHmac('sha256', user.passwordHash).update(`${user.id}.${nonce}`).digest('base64url');

/** A new device token for `user` (set as the device cookie after a successful login). */
export function deviceToken(user: { id: string; passwordHash: string }): string {
  const nonce = randomToken(16);
  return `${nonce}.${mac(user, nonce)}`;
}

/** The device's id (its nonce) when `token` was minted for `user`, else `undefined`. */
export function knownDevice(
  token: string | undefined,
  user: { id: string; passwordHash: string } | undefined,
): string | undefined {
  if (!token || !user) return undefined;
  const [nonce, given] = token.split('.');
  if (!nonce || !given || nonce.length > 64) return undefined;
  const expected = Buffer.from(mac(user, nonce));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected) ? nonce : undefined;
}
