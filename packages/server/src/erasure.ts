import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { fraudStateKeys, type FraudStateStore } from '@shoplog/core';
import type { AuditRecord, Cache, ErasureSubject, LogStore, MetaStore } from './ports.js';

/** Whose fraud state an erasure removes. */
export interface VelocitySubject {
  userIds: readonly string[];
  emails: readonly string[];
}

/** A velocity store that can erase a person's state (the Redis one; core's in-memory store cannot yet). */
export interface ErasableVelocityStore {
  erase(subject: VelocitySubject): Promise<number>;
}

/** Whether a velocity store offers `erase`. */
export function isErasable(store: unknown): store is ErasableVelocityStore {
  return typeof (store as Partial<ErasableVelocityStore> | undefined)?.erase === 'function';
}

/** The meta setting holding the key of the subjects' hashes in audit records (created at the first erasure). */
const HASH_KEY_SETTING = 'audit.subject_hash_key';

/** What an erasure works on. */
export interface ErasureDeps {
  logs: LogStore;
  meta: MetaStore;
  cache: Cache;
  /** Fraud velocity stores holding per-person state (the server's, the ingest scorer's); those offering `erase` are erased. */
  velocity: readonly unknown[];
  /** Fraud profile stores (in memory or Redis): the person's account and mailbox records are erased. @default [] */
  fraudState?: readonly FraudStateStore[];
}

/** Thrown when the subject is not a usable identifier, or the store cannot erase. */
export class ErasureError extends Error {
  /** Creates the error; `field` names the bad input, when one is. */
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ErasureError';
  }
}

/** The subject from `{ user_id }` / `{ email }` (API) or `--user` / `--email` (CLI): exactly one, non-empty, bounded. */
export function parseErasureSubject(input: { userId?: unknown; email?: unknown }): ErasureSubject {
  const { userId, email } = input;
  if ((userId === undefined) === (email === undefined))
    throw new ErasureError('give exactly one of a user id or an e-mail address', 'user_id');
  if (userId !== undefined) {
    if (typeof userId !== 'string' || userId.trim() === '' || userId.length > 256)
      throw new ErasureError('must be a non-empty string of at most 256 characters', 'user_id');
    return { userId };
  }
  if (typeof email !== 'string' || email.length > 320 || !/^[^\s@]+@[^\s@]+$/.test(email.trim()))
    throw new ErasureError('must be an e-mail address', 'email');
  return { email: email.trim().toLowerCase() };
}

/** The keyed hash of a subject kept in the audit record (HMAC-SHA256 with a per-installation key in the meta store). */
export async function subjectHash(meta: MetaStore, subject: ErasureSubject): Promise<string> {
  let key = await meta.getSetting(HASH_KEY_SETTING);
  if (!key) {
    key = randomBytes(32).toString('hex');
    await meta.setSetting(HASH_KEY_SETTING, key);
    // Two instances may race to create it: the stored one wins.
    key = (await meta.getSetting(HASH_KEY_SETTING)) ?? key;
  }
  const text = 'userId' in subject ? `user_id:${subject.userId}` : `email:${subject.email}`;
  return createHmac('sha256', key).update(text).digest('hex');
}

/**
 * Erases a person (GDPR art. 17): every stored event of the user id or e-mail address (and of the user ids seen with
 * that address) with what was derived from them, the fraud velocity and amount history of those user ids and
 * addresses where the velocity store can erase, their fraud profiles (account and mailbox records), and cached query
 * results; then records who asked, when and how many
 * in the meta store's audit records, with a keyed hash of the identifier instead of the identifier.
 */
export async function eraseSubject(deps: ErasureDeps, subject: ErasureSubject, actor: string): Promise<AuditRecord> {
  if (!deps.logs.erase) throw new ErasureError('this log store cannot erase events');
  const result = await deps.logs.erase(subject);
  const erasable = deps.velocity.filter(isErasable);
  const profiles = (deps.fraudState ?? []).filter((store) => typeof store.erase === 'function');
  let fraudState: number | null = null;
  if (erasable.length > 0 || profiles.length > 0) {
    fraudState = 0;
    for (const store of new Set(erasable))
      fraudState += await store.erase({ userIds: result.userIds, emails: result.emails });
    // The subject itself too: a person scored (detect, a transaction not stored) may have a profile and no event.
    const userIds = 'userId' in subject ? [...new Set([...result.userIds, subject.userId])] : result.userIds;
    const emails = 'email' in subject ? [...new Set([...result.emails, subject.email])] : result.emails;
    const keys = fraudStateKeys({ userIds, emails });
    for (const store of new Set(profiles)) fraudState += await store.erase!(keys);
  }
  await deps.cache.invalidatePrefix('q:');
  const record: AuditRecord = {
    id: randomUUID(),
    action: 'erase',
    actor,
    at: Date.now(),
    subject: { type: 'userId' in subject ? 'user_id' : 'email', hash: await subjectHash(deps.meta, subject) },
    counts: { events: result.events, fraudState },
  };
  await deps.meta.addAuditRecord(record);
  return record;
}
