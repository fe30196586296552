import { isRetryableStatus, parseRetryAfter, type AbortSignalLike } from '@shoplog/core';
import { NotifyError, oneLine } from './errors.js';
import { toAbortSignal } from './signal.js';

/** The part of a receiver's error answer kept for the message (Slack says why in a few words: `invalid_payload`). */
const SNIPPET_BYTES = 256;

async function snippet(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < SNIPPET_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // The body is only for the message.
  } finally {
    void reader.cancel().catch(() => {});
  }
  return oneLine(Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8'), 120);
}

/**
 * POSTs a JSON body; resolves on a 2xx answer, else rejects with a `NotifyError` (connection errors, 408, 429 and
 * 5xx are retryable, with `Retry-After`). Redirects are not followed (a signed body must reach the configured
 * receiver only). Messages name the channel and the receiver's host, never the URL's path or query, which carry
 * the secret of an incoming-webhook URL.
 */
export async function postJson(
  channel: string,
  url: URL,
  body: string,
  headers: Record<string, string>,
  signal?: AbortSignalLike,
): Promise<void> {
  const abort = toAbortSignal(signal);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
      redirect: 'manual',
      ...(abort ? { signal: abort } : {}),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const reason = abort?.aborted
      ? 'timed out'
      : typeof cause?.code === 'string'
        ? cause.code
        : oneLine(String(cause?.message ?? (error as Error).message), 120);
    throw new NotifyError(`${channel}: cannot reach ${url.host}: ${reason}`, { retryable: true, cause: error });
  }
  if (response.status >= 200 && response.status < 300) {
    void response.body?.cancel().catch(() => {});
    return;
  }
  const said = await snippet(response);
  const redirect = response.status >= 300 && response.status < 400 ? ' (redirects are not followed)' : '';
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  throw new NotifyError(`${channel}: ${url.host} answered ${response.status}${redirect}${said ? `: ${said}` : ''}`, {
    retryable: isRetryableStatus(response.status),
    status: response.status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** Whether a URL points at this machine (plain HTTP is then not a risk worth a warning). */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
