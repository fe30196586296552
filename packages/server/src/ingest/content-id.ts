import { createHash } from 'node:crypto';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A UUID (version 8 layout) derived from the content, so the same seed-shaped document re-sent dedupes. */
export function contentId(input: unknown): string {
  const hex = createHash('sha256').update(JSON.stringify(input)).digest('hex');
  const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Gives a seed-shaped document without an id (`id`, `event_id`) but with a timestamp an id derived from its
 * content, before `normalize()` (which would mint a fresh one): a client retry of the same document is then a
 * duplicate instead of a second event. `{"type": …, "data": {…}}` is handled on its `data`.
 */
export function withContentId(input: unknown): unknown {
  if (!isObject(input) || isObject(input.event)) return input;
  if (isObject(input.data) && typeof input.type === 'string') {
    const data = withContentId(input.data);
    return data === input.data ? input : { ...input, data };
  }
  if (input.id !== undefined || input.event_id !== undefined) return input;
  if (input['@timestamp'] === undefined && input.timestamp === undefined) return input;
  return { ...input, event_id: contentId(input) };
}
