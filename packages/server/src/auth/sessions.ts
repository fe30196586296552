import type { MetaStore, SessionRecord } from '../ports.js';
import { randomToken, sha256 } from './secrets.js';

/** Settings of the web sessions. */
export interface SessionManagerOptions {
  meta: MetaStore;
  /** A session unused this long expires. */
  idleMs: number;
  /** A session expires this long after login, however much it is used. */
  maxMs: number;
  /** Current time in epoch ms. @default Date.now */
  now?: () => number;
}

/** A session that was just opened: the cookie value, the CSRF token and the cookie lifetime. */
export interface OpenedSession {
  sessionId: string;
  csrfToken: string;
  maxAgeSeconds: number;
}

/** Web sessions with an idle timeout and an absolute lifetime, enforced on the server. */
export interface SessionManager {
  /** Opens a session for the user. */
  open(userId: string): Promise<OpenedSession>;
  /** The live session of a cookie value, its idle clock renewed; an expired or unknown one is deleted and `undefined`. */
  resolve(sessionId: string): Promise<SessionRecord | undefined>;
  /** Closes a session (logout). */
  close(idHash: string): Promise<void>;
}

// The idle clock is renewed at most this often, so a busy page costs one write a minute, not one per request.
const RENEW_EVERY_MS = 60_000;

/**
 * Creates the session manager. A session's stored `expiresAt` is its next deadline: the sooner of idle timeout
 * and absolute end; a renewal moves it in place (`MetaStore.renewSession`).
 */
export function createSessionManager(options: SessionManagerOptions): SessionManager {
  const { meta, idleMs, maxMs } = options;
  const now = options.now ?? Date.now;
  const deadline = (createdAt: number, at: number): number => Math.min(at + idleMs, createdAt + maxMs);

  return {
    async open(userId) {
      const sessionId = randomToken();
      const csrfToken = randomToken();
      const at = now();
      await meta.createSession({
        idHash: sha256(sessionId),
        userId,
        csrfToken,
        createdAt: at,
        expiresAt: deadline(at, at),
      });
      return { sessionId, csrfToken, maxAgeSeconds: Math.floor(maxMs / 1000) };
    },
    async resolve(sessionId) {
      const idHash = sha256(sessionId);
      const at = now();
      const session = await meta.getSession(idHash, at);
      if (!session) {
        // Expired (or never ours): remove the row now rather than leaving it to the next login's sweep.
        await meta.deleteSession(idHash);
        return undefined;
      }
      const next = deadline(session.createdAt, at);
      if (next - session.expiresAt < RENEW_EVERY_MS) return session;
      await meta.renewSession(idHash, next);
      return { ...session, expiresAt: next };
    },
    close: (idHash) => meta.deleteSession(idHash),
  };
}
