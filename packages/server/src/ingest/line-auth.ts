import { sha256 } from '../auth/secrets.js';
import type { ApiKeyRecord, MetaStore } from '../ports.js';

/**
 * Authentication of the TCP/UDP JSON-lines protocol. A line `AUTH <key>` (an API key with the ingest or admin scope)
 * authenticates what follows it: the rest of the connection on TCP, the rest of the datagram on UDP. The AUTH line
 * itself is never stored. When authentication is required, a line before a valid AUTH is refused: TCP answers
 * `ERR <reason>` and closes the connection, UDP drops the datagram. An AUTH line with a bad key is refused even when
 * authentication is off, so a misconfigured sender hears about it.
 */
export interface LineAuth {
  /** Whether lines need a preceding AUTH line. */
  readonly required: boolean;
  /** A gate for one TCP connection or one UDP datagram. */
  gate(): LineGate;
}

/** What may pass of one stream (a TCP connection, a UDP datagram). */
export interface LineGate {
  /**
   * The lines to ingest, AUTH lines checked and removed. `refused`: the reason, the first time a line may not pass;
   * from then on nothing of this stream passes.
   */
  pass(lines: readonly string[]): Promise<{ lines: string[]; refused?: string }>;
}

/** Options of `createLineAuth`. */
export interface LineAuthOptions {
  /** Where API keys are looked up (by SHA-256, as on HTTP). */
  meta: Pick<MetaStore, 'findApiKey' | 'touchApiKey'>;
  /** Lines need a preceding AUTH line. */
  required: boolean;
  /** Told of refusals, at most once a minute, with how many there were since the last call. */
  onRefused?: (reason: string, count: number) => void;
  /** Current time in epoch ms. @default Date.now */
  now?: () => number;
}

// Keys are looked up at most once per 30 s (a UDP sender authenticates every datagram); a revoked key stops
// working within that.
const KEY_CACHE_MS = 30_000;
const KEY_CACHE_SIZE = 1024;
const REPORT_EVERY_MS = 60_000;
const AUTH = 'AUTH ';

/** Creates the line-protocol authentication (see `LineAuth`). */
export function createLineAuth(options: LineAuthOptions): LineAuth {
  const { meta, required, onRefused } = options;
  const now = options.now ?? Date.now;
  const keys = new Map<string, { refusal: string | undefined; until: number }>();
  let refusals = 0;
  let reportedAt = Number.NEGATIVE_INFINITY;

  const refusalOf = (record: ApiKeyRecord | undefined): string | undefined =>
    !record
      ? 'invalid API key'
      : record.scope === 'ingest' || record.scope === 'admin'
        ? undefined
        : `the API key's scope (${record.scope}) cannot ingest`;

  const check = async (key: string): Promise<string | undefined> => {
    const hash = sha256(key);
    const at = now();
    const cached = keys.get(hash);
    if (cached && cached.until > at) return cached.refusal;
    const record = await meta.findApiKey(hash);
    const refusal = refusalOf(record);
    if (keys.size >= KEY_CACHE_SIZE) keys.clear();
    keys.set(hash, { refusal, until: at + KEY_CACHE_MS });
    if (record && !refusal) meta.touchApiKey(record.id, at).catch(() => {});
    return refusal;
  };

  const refuse = (reason: string): string => {
    refusals++;
    const at = now();
    if (onRefused && at - reportedAt >= REPORT_EVERY_MS) {
      reportedAt = at;
      onRefused(reason, refusals);
      refusals = 0;
    }
    return reason;
  };

  return {
    required,
    gate() {
      let authenticated = false;
      let closed = false;
      return {
        async pass(lines) {
          if (closed) return { lines: [] };
          const out: string[] = [];
          for (const line of lines) {
            if (line.startsWith(AUTH)) {
              const refusal = await check(line.slice(AUTH.length).trim());
              if (refusal) {
                closed = true;
                return { lines: out, refused: refuse(refusal) };
              }
              authenticated = true;
            } else if (required && !authenticated && line.trim() !== '') {
              closed = true;
              return { lines: out, refused: refuse('authentication required: send "AUTH <ingest API key>" first') };
            } else {
              out.push(line);
            }
          }
          return { lines: out };
        },
      };
    },
  };
}
