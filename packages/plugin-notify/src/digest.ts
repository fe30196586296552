import { createHash } from 'node:crypto';
import type { Notification } from '@shoplog/core';

/** Notifications listed one per line in a digest's text; the rest is counted. */
const LISTED = 20;
/** Notifications kept in a digest's `details.notifications`. */
const KEPT = 100;
const RANK = { info: 0, warning: 1, critical: 2 } as const;
const NOUN: Record<string, string> = {
  'fraud.block': 'fraud blocks',
  'alert.firing': 'alerts firing',
  'alert.resolved': 'alerts resolved',
};

/**
 * One notification standing for several of one group: the most severe severity, the newest time, a line per
 * notification in the text and each one's id, title, time and details in `details.notifications`. Its id is
 * derived from its members' ids, so a retried digest carries the same idempotency key.
 */
export function digestOf(items: readonly Notification[]): Notification {
  const first = items[0];
  if (!first) throw new TypeError('digestOf needs at least one notification');
  const id = `digest:${createHash('sha256')
    .update(items.map((n) => n.id).join('\n'))
    .digest('hex')
    .slice(0, 32)}`;
  const lines = items.slice(0, LISTED).map((n) => `• ${n.title}: ${n.text.split('\n', 1)[0] ?? ''}`);
  if (items.length > LISTED) lines.push(`… and ${items.length - LISTED} more`);
  const severity = items.reduce((top, n) => (RANK[n.severity] > RANK[top] ? n.severity : top), first.severity);
  return {
    id,
    type: first.type,
    group: first.group,
    title: `${items.length} ${NOUN[first.type] ?? 'notifications'} (${first.group})`,
    text: lines.join('\n'),
    severity,
    at: items.reduce((latest, n) => (n.at > latest ? n.at : latest), first.at),
    details: {
      digest: true,
      count: items.length,
      notifications: items
        .slice(0, KEPT)
        .map((n) => ({ id: n.id, title: n.title, at: n.at, severity: n.severity, details: n.details })),
    },
    ...(first.link ? { link: first.link } : {}),
  };
}
