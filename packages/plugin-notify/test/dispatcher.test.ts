import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Notifier } from '@shoplog/core';
import { describe, expect, it } from 'vitest';
import {
  createManualClock,
  createMemoryNotifier,
  createNotificationDispatcher,
  createWebhookNotifier,
  type DeliveryResult,
  type NotificationDispatcherOptions,
} from '@shoplog/plugin-notify';
import { block, note } from './notes.js';
import { recorder, startHttpReceiver } from './receivers.js';

const T0 = 1_700_000_000_000;
const SECRET = 'whsec_test_0123456789abcdef';
const firing = (at: number) => note({ id: `alert:r1:${at}:firing`, type: 'alert.firing' });
const resolved = (at: number) =>
  note({ id: `alert:r1:${at}:resolved`, type: 'alert.resolved', title: 'Resolved: checkout errors', severity: 'info' });

/** A dispatcher on a manual clock over a memory channel `mem`, with its results as they come. */
function setup(options: Partial<NotificationDispatcherOptions> = {}) {
  const clock = createManualClock(T0);
  const memory = createMemoryNotifier();
  const results = recorder<DeliveryResult>();
  const dispatcher = createNotificationDispatcher({
    channels: { mem: memory },
    clock,
    random: () => 0.5,
    onResult: results.push,
    ...options,
  });
  return { clock, memory, results, dispatcher };
}

describe('notification dispatcher', () => {
  it('sends the notifications of one group within the window as one digest, other groups apart', async () => {
    const { clock, memory, results, dispatcher } = setup({ groupWindowMs: 10_000, cooldownMs: 0 });
    dispatcher.dispatch(block(1));
    dispatcher.dispatch(block(2));
    clock.advance(1000);
    dispatcher.dispatch(block(4, 'VELOCITY_IP'));
    clock.advance(4000);
    dispatcher.dispatch(block(3));
    clock.advance(4999);
    expect(memory.received).toHaveLength(0);
    expect(dispatcher.metrics().mem?.queued).toBe(4);
    clock.advance(1);
    const digest = await results.next();
    expect(digest.notificationIds).toEqual(['fraud:tx-1', 'fraud:tx-2', 'fraud:tx-3']);
    expect(digest.notification).toMatchObject({
      type: 'fraud.block',
      group: 'fraud:CARD_TESTING',
      title: '3 fraud blocks (fraud:CARD_TESTING)',
      text: '• Fraud block: transaction tx-1: Score 91 (high). Reasons: CARD_TESTING.\n• Fraud block: transaction tx-2: Score 92 (high). Reasons: CARD_TESTING.\n• Fraud block: transaction tx-3: Score 93 (high). Reasons: CARD_TESTING.',
      details: { digest: true, count: 3 },
    });
    expect(digest.notification.id).toMatch(/^digest:[0-9a-f]{32}$/);
    clock.advance(1000);
    expect((await results.next()).notification.id).toBe('fraud:tx-4');
    expect(memory.received.map((n) => n.id)).toEqual([digest.notification.id, 'fraud:tx-4']);
    expect(dispatcher.metrics().mem).toMatchObject({ queued: 0, sent: 2 });
  });

  it('keeps a cooldown per group: what arrives meanwhile goes out as one digest when it ends', async () => {
    const { clock, memory, results, dispatcher } = setup({ groupWindowMs: 0, cooldownMs: 60_000 });
    dispatcher.dispatch(block(1));
    await results.next();
    clock.advance(10_000);
    dispatcher.dispatch(block(2));
    dispatcher.dispatch(block(3));
    dispatcher.dispatch(block(5, 'VELOCITY_IP'));
    expect((await results.next()).notificationIds).toEqual(['fraud:tx-5']);
    clock.advance(49_999);
    expect(memory.received.map((n) => n.id)).toEqual(['fraud:tx-1', 'fraud:tx-5']);
    clock.advance(1);
    expect((await results.next()).notificationIds).toEqual(['fraud:tx-2', 'fraud:tx-3']);
    clock.advance(10_000);
    dispatcher.dispatch(block(6));
    clock.advance(49_999);
    expect(memory.received).toHaveLength(3);
    clock.advance(1);
    expect((await results.next()).notificationIds).toEqual(['fraud:tx-6']);
  });

  it('sends a rule firing once, its resolution without waiting for the cooldown, and nothing for a flap within the cooldown', async () => {
    const { clock, memory, results, dispatcher } = setup({ groupWindowMs: 0, cooldownMs: 300_000 });
    dispatcher.dispatch(firing(T0));
    await results.next();
    dispatcher.dispatch(firing(T0)); // still firing: the same state again
    clock.advance(30_000);
    dispatcher.dispatch(resolved(T0));
    expect((await results.next()).notification.type).toBe('alert.resolved');
    clock.advance(30_000);
    dispatcher.dispatch(firing(T0 + 60_000)); // fires again within the cooldown: held
    clock.advance(30_000);
    dispatcher.dispatch(resolved(T0 + 60_000)); // and resolves before it ends: nothing changed since the last message
    clock.advance(300_000);
    expect(memory.received.map((n) => n.type)).toEqual(['alert.firing', 'alert.resolved']);
    expect(dispatcher.metrics().mem).toMatchObject({ sent: 2, suppressed: 3, queued: 0 });
    dispatcher.dispatch(firing(T0 + 500_000));
    expect((await results.next()).notification.id).toBe(`alert:r1:${T0 + 500_000}:firing`);
  });

  it('bounds what waits per channel and counts what it drops; unknown channels and a closed dispatcher drop too', async () => {
    const { dispatcher, results } = setup({ groupWindowMs: 10_000, maxQueued: 2 });
    dispatcher.dispatch(block(1));
    dispatcher.dispatch(block(2));
    dispatcher.dispatch(block(3));
    dispatcher.dispatch(block(4), ['nowhere']);
    expect(await results.next()).toMatchObject({
      channel: 'mem',
      outcome: 'dropped',
      notificationIds: ['fraud:tx-3'],
      error: 'the queue of mem is full (2)',
    });
    expect(await results.next()).toMatchObject({
      channel: 'nowhere',
      outcome: 'dropped',
      error: 'no channel named nowhere',
    });
    await dispatcher.close();
    expect((await results.next()).notificationIds).toEqual(['fraud:tx-1', 'fraud:tx-2']);
    dispatcher.dispatch(block(5));
    expect(await results.next()).toMatchObject({ outcome: 'dropped', error: 'the dispatcher is closed' });
    expect(dispatcher.metrics().mem).toMatchObject({ sent: 1, dropped: 2, queued: 0 });
  });

  it('refuses a malformed notification and ignores an onResult that throws', async () => {
    const { dispatcher } = setup({
      groupWindowMs: 0,
      onResult: () => {
        throw new Error('bookkeeping');
      },
    });
    expect(() => dispatcher.dispatch({ ...note(), group: '' })).toThrow(
      'dispatch: notification.group must be a non-empty string',
    );
    dispatcher.dispatch(note());
    await dispatcher.flush();
    expect(dispatcher.metrics().mem?.sent).toBe(1);
    expect(() => createNotificationDispatcher({ channels: { x: {} as Notifier }, cooldownMs: -1 })).toThrow(
      /createNotificationDispatcher: invalid options: channels\.x: must be a notifier or a promise of one; cooldownMs: /,
    );
  });

  it('retries with exponential backoff and jitter up to maxAttempts, and fails a 4xx at once', async () => {
    const receiver = await startHttpReceiver((r) => (r.path === '/gone' ? { status: 410 } : { status: 503 }));
    const { clock, results, dispatcher } = setup({
      channels: {
        hook: createWebhookNotifier({ url: receiver.url, secret: SECRET }),
        gone: createWebhookNotifier({ url: `${receiver.url}/gone`, secret: SECRET }),
      },
      groupWindowMs: 0,
      maxAttempts: 3,
      retryInitialDelayMs: 1000,
    });
    try {
      dispatcher.dispatch(note(), ['gone']);
      expect(await results.next()).toMatchObject({
        channel: 'gone',
        outcome: 'failed',
        attempts: 1,
        error: `webhook: 127.0.0.1:${receiver.port} answered 410`,
      });
      dispatcher.dispatch(note(), ['hook']);
      await clock.whenTimer();
      clock.advance(499); // random 0.5 × 1000
      expect(receiver.received).toHaveLength(2);
      clock.advance(1);
      await clock.whenTimer();
      clock.advance(999); // random 0.5 × 2000
      expect(receiver.received).toHaveLength(3);
      clock.advance(1);
      expect(await results.next()).toMatchObject({ channel: 'hook', outcome: 'failed', attempts: 3 });
      expect(receiver.received).toHaveLength(4);
      expect(dispatcher.metrics().hook).toMatchObject({ sent: 0, failed: 1, retried: 2, queued: 0 });
    } finally {
      await dispatcher.close();
      await receiver.stop();
    }
  });

  it("retries a channel's failure on the backoff when its retryAfterMs is not a duration", async () => {
    let calls = 0;
    const flaky: Notifier = {
      name: 'flaky',
      async notify() {
        if (++calls === 1) throw Object.assign(new Error('busy'), { retryAfterMs: 'soon' });
      },
    };
    const { clock, results, dispatcher } = setup({ channels: { flaky }, groupWindowMs: 0, retryInitialDelayMs: 1000 });
    dispatcher.dispatch(note());
    await clock.whenTimer();
    clock.advance(499);
    expect(calls).toBe(1);
    clock.advance(1);
    expect(await results.next()).toMatchObject({ outcome: 'sent', attempts: 2 });
  });

  it('aborts an attempt the receiver never answers, and retries it', async () => {
    const hanging = createHttpServer(() => {}); // reads the request, never answers
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const port = (hanging.address() as AddressInfo).port;
    const { clock, results, dispatcher } = setup({
      channels: { hook: createWebhookNotifier({ url: `http://127.0.0.1:${port}`, secret: SECRET }) },
      groupWindowMs: 0,
      maxAttempts: 2,
      attemptTimeoutMs: 100,
    });
    try {
      dispatcher.dispatch(note());
      await clock.whenTimer();
      expect(dispatcher.metrics().hook?.lastError?.message).toBe(`webhook: cannot reach 127.0.0.1:${port}: timed out`);
      clock.advance(60_000);
      expect(await results.next()).toMatchObject({
        outcome: 'failed',
        attempts: 2,
        error: `webhook: cannot reach 127.0.0.1:${port}: timed out`,
      });
    } finally {
      await dispatcher.close();
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
  });

  it('a webhook receiver that is down and comes back gets exactly one message per notification id, in order', async () => {
    const receiver = await startHttpReceiver();
    await receiver.stop();
    const { clock, results, dispatcher } = setup({
      channels: { hook: createWebhookNotifier({ url: receiver.url, secret: SECRET }) },
      groupWindowMs: 0,
    });
    try {
      dispatcher.dispatch(firing(T0));
      dispatcher.dispatch(block(1));
      dispatcher.dispatch(block(2, 'VELOCITY_IP'));
      await clock.whenTimer();
      clock.advance(60_000); // past the first retry: still down
      await clock.whenTimer();
      expect(dispatcher.metrics().hook).toMatchObject({ retried: 2, queued: 3, sent: 0 });
      await receiver.start();
      clock.advance(60_000);
      for (let i = 0; i < 3; i++) expect((await results.next()).outcome).toBe('sent');
      await dispatcher.flush();
      expect(receiver.received.map((r) => r.headers['idempotency-key'])).toEqual([
        `alert:r1:${T0}:firing`,
        'fraud:tx-1',
        'fraud:tx-2',
      ]);
    } finally {
      await dispatcher.close();
      await receiver.stop();
    }
  });

  it('a receiver that took a message but answered 503 gets it again with the same key, so it keeps exactly one', async () => {
    const receiver = await startHttpReceiver((_r, index) => ({ status: index === 0 ? 503 : 200 }));
    const { clock, results, dispatcher } = setup({
      channels: { hook: createWebhookNotifier({ url: receiver.url, secret: SECRET }) },
      groupWindowMs: 0,
    });
    try {
      dispatcher.dispatch(firing(T0));
      await clock.whenTimer();
      clock.advance(60_000);
      expect(await results.next()).toMatchObject({ outcome: 'sent', attempts: 2 });
      const keys = receiver.received.map((r) => r.headers['idempotency-key']);
      expect(keys).toEqual([`alert:r1:${T0}:firing`, `alert:r1:${T0}:firing`]);
      // The signature changes with the timestamp; the body and the key do not.
      expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
      expect(new Set(keys).size).toBe(1);
    } finally {
      await dispatcher.close();
      await receiver.stop();
    }
  });

  it('a channel that could not be created: ready() names it, its messages fail without retry, the others deliver', async () => {
    const broken = Promise.reject(new TypeError('plugin x: invalid options: url: required'));
    const { dispatcher, results, memory } = setup({
      channels: { broken, mem: createMemoryNotifier() },
      groupWindowMs: 0,
    });
    await expect(dispatcher.ready()).rejects.toThrow(
      'notification channel broken: plugin x: invalid options: url: required',
    );
    dispatcher.dispatch(note());
    const got = [await results.next(), await results.next()].sort((a, b) => a.channel.localeCompare(b.channel));
    expect(got.map((r) => [r.channel, r.outcome, r.attempts, r.error])).toEqual([
      ['broken', 'failed', 1, 'broken could not be created: plugin x: invalid options: url: required'],
      ['mem', 'sent', 1, undefined],
    ]);
    expect(memory.received).toHaveLength(0); // `mem` of setup() was replaced by the channels given
  });

  it('close() sends what is held, gives a message between retries one last attempt, then closes the channels', async () => {
    const receiver = await startHttpReceiver(() => ({ status: 503 }));
    let closed = 0;
    const memory = createMemoryNotifier();
    const { clock, results, dispatcher } = setup({
      channels: {
        hook: createWebhookNotifier({ url: receiver.url, secret: SECRET }),
        mem: { ...memory, notify: memory.notify, close: async () => void closed++ },
      },
      groupWindowMs: 60_000,
    });
    try {
      dispatcher.dispatch(firing(T0), ['mem']);
      dispatcher.dispatch(block(1), ['hook']);
      clock.advance(60_000);
      await clock.whenTimer(); // hook failed once and waits for its retry
      await dispatcher.close();
      const got = [await results.next(), await results.next()].sort((a, b) => a.channel.localeCompare(b.channel));
      expect(got.map((r) => [r.channel, r.outcome, r.attempts])).toEqual([
        ['hook', 'failed', 2],
        ['mem', 'sent', 1],
      ]);
      expect(memory.received.map((n) => n.id)).toEqual([`alert:r1:${T0}:firing`]);
      expect(closed).toBe(1);
      await dispatcher.close();
      expect(closed).toBe(1);
    } finally {
      await receiver.stop();
    }
  });
});
