import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt cost: N = 2^15 (memory-hard: 128 · N · r bytes = 32 MiB per hash), r = 8, p = 1. */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { ...params, maxmem: SCRYPT.maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Hashes a password with scrypt: `scrypt$N$r$p$salt$hash` (base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Checks a password against an encoded scrypt hash in constant time. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const [algo, n, r, p, salt, hash] = encoded.split('$');
  if (algo !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

let dummy: Promise<string> | undefined;

/**
 * A hash of a random password, with the same cost as every user's: a login for an unknown username is checked
 * against it, so it takes as long as a wrong password for a real one and the answer time does not say which
 * usernames exist. Computed once, on first call.
 */
export function dummyPasswordHash(): Promise<string> {
  dummy ??= hashPassword(randomToken());
  return dummy;
}

/** Hex SHA-256 (API keys and session ids are stored hashed: they are random, so a fast hash is enough). */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** A new API key: `slk_` + 32 random bytes in base64url. */
export function generateApiKey(): string {
  return `slk_${randomBytes(32).toString('base64url')}`;
}

/** A random token (session ids, CSRF tokens, generated passwords): `bytes` random bytes in base64url. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
