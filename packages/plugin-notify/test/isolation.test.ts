import type { Notifier } from '@shoplog/core';
import { describe, expect, it } from 'vitest';
import { createManualClock, createNotificationDispatcher, type DeliveryResult } from '@shoplog/plugin-notify';
import { note } from './notes.js';
import { recorder } from './receivers.js';

// A notifier is a plugin like any other: its calls are timed, a call that outlives its budget is a time-out (and is
// abandoned even when the notifier ignores the abort signal), and a channel that keeps failing is held by a breaker.
describe('notifier isolation: time budget and circuit breaker', () => {
  it('abandons a notifier that ignores the abort signal and never settles, counts the time-out, and the channel goes on', async () => {
    const clock = createManualClock(0);
    const results = recorder<DeliveryResult>();
    let calls = 0;
    const deaf: Notifier = {
      name: 'deaf',
      notify: () => (++calls === 1 ? new Promise<void>(() => {}) : Promise.resolve()), // the first call hangs forever
    };
    const dispatcher = createNotificationDispatcher({
      channels: { deaf },
      clock,
      groupWindowMs: 0,
      attemptTimeoutMs: 50,
      random: () => 0,
      onResult: results.push,
    });
    dispatcher.dispatch(note({ id: 'n-1' }));
    await clock.whenTimer(); // the retry after the abandoned attempt is scheduled
    expect(dispatcher.metrics().deaf).toMatchObject({ calls: 1, timeouts: 1, retried: 1, sent: 0, breaker: 'closed' });
    expect(dispatcher.metrics().deaf?.totalMs).toBeGreaterThan(0);
    expect(dispatcher.metrics().deaf?.lastError?.message).toMatch(/did not settle within 1050 ms/);
    clock.advance(60_000);
    expect(await results.next()).toMatchObject({ outcome: 'sent', attempts: 2 });
    expect(dispatcher.metrics().deaf).toMatchObject({ calls: 2, timeouts: 1, sent: 1 });
    await dispatcher.close();
  });

  it('counts an attempt the notifier itself ends at the abort as a time-out', async () => {
    const clock = createManualClock(0);
    const results = recorder<DeliveryResult>();
    const polite: Notifier = {
      name: 'polite',
      notify: (_n, signal) =>
        new Promise<void>((_resolve, reject) =>
          signal?.addEventListener('abort', () => reject(new Error('polite: timed out'))),
        ),
    };
    const dispatcher = createNotificationDispatcher({
      channels: { polite },
      clock,
      groupWindowMs: 0,
      attemptTimeoutMs: 20,
      maxAttempts: 1,
      onResult: results.push,
    });
    dispatcher.dispatch(note());
    expect(await results.next()).toMatchObject({ outcome: 'failed', error: 'polite: timed out' });
    expect(dispatcher.metrics().polite).toMatchObject({ calls: 1, timeouts: 1 });
    await dispatcher.close();
  });

  it('opens the breaker after the failures in a row: no call during the cooldown, then one probe, closed again on success', async () => {
    const clock = createManualClock(0);
    const results = recorder<DeliveryResult>();
    let down = true;
    let calls = 0;
    const flaky: Notifier = {
      name: 'flaky',
      async notify() {
        calls++;
        if (down) throw new Error('receiver down');
      },
    };
    const dispatcher = createNotificationDispatcher({
      channels: { flaky },
      clock,
      groupWindowMs: 0,
      maxAttempts: 2,
      retryInitialDelayMs: 10,
      retryMaxDelayMs: 10,
      circuitBreaker: { failures: 3, cooldownMs: 60_000 },
      random: () => 0.99,
      onResult: results.push,
    });
    dispatcher.dispatch(note({ id: 'a', group: 'g-a' }));
    dispatcher.dispatch(note({ id: 'b', group: 'g-b' }));
    await clock.whenTimer();
    clock.advance(10);
    expect((await results.next()).outcome).toBe('failed'); // a: two attempts
    await clock.whenTimer();
    expect(calls).toBe(3); // b's first attempt: the third failure in a row opens the breaker
    expect(dispatcher.metrics().flaky?.breaker).toBe('open');
    clock.advance(59_000);
    expect(calls).toBe(3); // held: nothing reaches the notifier while open
    down = false;
    clock.advance(1000);
    expect(await results.next()).toMatchObject({ outcome: 'sent', notificationIds: ['b'] });
    expect(calls).toBe(4);
    expect(dispatcher.metrics().flaky).toMatchObject({ breaker: 'closed', calls: 4, sent: 1, failed: 1 });
    await dispatcher.close();
  });

  it('with circuitBreaker: false, keeps calling a failing channel', async () => {
    const clock = createManualClock(0);
    const results = recorder<DeliveryResult>();
    let calls = 0;
    const failing: Notifier = {
      name: 'failing',
      notify: async () => {
        calls++;
        throw Object.assign(new Error('no'), { retryable: false });
      },
    };
    const dispatcher = createNotificationDispatcher({
      channels: { failing },
      clock,
      groupWindowMs: 0,
      circuitBreaker: false,
      onResult: results.push,
    });
    for (let i = 0; i < 8; i++) dispatcher.dispatch(note({ id: `n-${i}`, group: `g-${i}` }), ['failing']);
    await dispatcher.flush();
    expect(calls).toBe(8);
    expect(dispatcher.metrics().failing).toMatchObject({ failed: 8, breaker: 'closed' });
    await dispatcher.close();
  });
});
