import type { Notification } from '@shoplog/core';

/** A notification for the tests; `overrides` replace its fields. */
export const note = (overrides: Partial<Notification> = {}): Notification => ({
  id: 'alert:r1:1700000000000:firing',
  type: 'alert.firing',
  group: 'alert:r1',
  title: 'Firing: checkout errors',
  text: 'error_rate is 12.5 (threshold 5) over the last 5m',
  severity: 'warning',
  at: '2026-01-01T00:00:00.000Z',
  details: { ruleId: 'r1' },
  ...overrides,
});

/** A fraud block of group `fraud:<reason>`. */
export const block = (n: number, reason = 'CARD_TESTING'): Notification =>
  note({
    id: `fraud:tx-${n}`,
    type: 'fraud.block',
    group: `fraud:${reason}`,
    title: `Fraud block: transaction tx-${n}`,
    text: `Score 9${n % 10} (high). Reasons: ${reason}.`,
    details: { transactionId: `tx-${n}` },
  });
