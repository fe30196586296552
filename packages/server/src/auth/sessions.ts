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
 * and absolute end. The `MetaStore` port has no update, so a renewal replaces the row (delete, then create);
 * reads of the same session in this process wait for a renewal under way, so they never see the gap (another
 * instance sharing a networked store could, once a minute per session, for one round trip).
 */
export function createSessionManager(options: SessionManagerOptions): SessionManager {
  const { meta, idleMs, maxMs } = options;
  const now = options.now ?? Date.now;
  const renewing = new Map<string, Promise<void>>();
  const deadline = (createdAt: number, at: number): number => Math.min(at + idleMs, createdAt + maxMs);

  const renew = async (session: SessionRecord, expiresAt: number): Promise<void> => {
    await meta.deleteSession(session.idHash);
    await meta.createSession({ ...session, expiresAt });
  };

  return {
    async open(userId) {
      const sessionId = randomToken();
      const csrfToken = randomToken();
      const at = now();
      await meta.createSession({ idHash: sha256(sessionId), userId, csrfToken, createdAt: at, expiresAt: deadline(at, at) });
      return { sessionId, csrfToken, maxAgeSeconds: Math.floor(maxMs / 1000) };
    },
    async resolve(sessionId) {
      const idHash = sha256(sessionId);
      const at = now();
      let session: SessionRecord | undefined;
      do {
        await renewing.get(idHash);
        session = await meta.getSession(idHash, at);
        // A read that fell between a renewal's delete and create (a networked store) reads again after it.
      } while (!session && renewing.has(idHash));
      if (!session) {
        // Expired (or never ours): remove the row now rather than leaving it to the next login's sweep.
        await meta.deleteSession(idHash);
        return undefined;
      }
      const next = deadline(session.createdAt, at);
      if (next - session.expiresAt >= RENEW_EVERY_MS && !renewing.has(idHash)) {
        const run = renew(session, next).finally(() => renewing.delete(idHash));
        renewing.set(idHash, run);
        await run;
        return { ...session, expiresAt: next };
      }
      return session;
    },
    close: (idHash) => meta.deleteSession(idHash),
  };
}
