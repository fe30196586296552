import type { Notification, Notifier } from '@shoplog/core';

/** A channel that keeps what it receives: the test double for code that sends notifications. */
export interface MemoryNotifier extends Notifier {
  /** Every notification received, in order. */
  readonly received: Notification[];
}

/** Creates a channel that records notifications in memory (tests, dry runs). */
export function createMemoryNotifier(): MemoryNotifier {
  const received: Notification[] = [];
  return {
    name: 'memory',
    received,
    async notify(notification) {
      received.push(notification);
    },
  };
}
