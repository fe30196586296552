// W3C Trace Context (https://www.w3.org/TR/trace-context/): `traceparent: 00-<trace-id>-<parent-id>-<flags>`.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';

/** The ids continued from an incoming `traceparent`. */
export interface IncomingTrace {
  traceId: string;
  parentSpanId: string;
  flags: string;
}

/**
 * Parses a `traceparent` header; `undefined` when absent or invalid (then the request starts a new trace).
 * Version `ff` and all-zero ids are invalid per the spec; a future version may carry extra fields after flags.
 */
export function parseTraceparent(header: string | string[] | undefined): IncomingTrace | undefined {
  if (typeof header !== 'string' || header.length < 55) return undefined;
  const m = TRACEPARENT.exec(header.trim().toLowerCase());
  if (!m) return undefined;
  const [, version, traceId, parentSpanId, flags] = m as unknown as [string, string, string, string, string];
  if (version === 'ff' || (version === '00' && header.trim().length !== 55)) return undefined;
  if (traceId === ZERO_TRACE || parentSpanId === ZERO_SPAN) return undefined;
  return { traceId, parentSpanId, flags };
}

/** Formats a version-00 `traceparent` for outgoing calls. */
export function formatTraceparent(traceId: string, spanId: string, flags = '01'): string {
  return `00-${traceId}-${spanId}-${flags}`;
}

// Printable, header-safe and short: an attacker-controlled id must not inject content into logs or headers.
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The incoming request id when it is a safe token (1–128 of `A-Za-z0-9._:@/+=-`), else `undefined`. */
export function acceptRequestId(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : undefined;
}
