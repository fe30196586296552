import { randomUUID } from 'node:crypto';
import type { ShoplogEvent } from '@shoplog/core';
import { z } from 'zod';
import type { EventBus } from '../../event-bus.js';
import type { EventListener } from '../../ports.js';
import { parseOptions } from '@shoplog/core';
import { connectionShape, openRedis } from './connection.js';
import type { RedisConnectionOptions } from './connection.js';

/** Options of `createRedisEventBus`. */
export interface RedisEventBusOptions extends RedisConnectionOptions {
  /** Called when a message cannot be published or read. @default ignore */
  onError?: (error: unknown) => void;
}

const Schema = z.object({ ...connectionShape, onError: z.function().optional() });

const FLUSH_TIMEOUT_MS = 2_000;

/**
 * The live-tail fan-out on Redis pub/sub: one message per stored batch on `<prefix>tail`, one subscriber
 * connection per instance (ioredis re-subscribes after a reconnection). Pub/sub is at-most-once: events stored
 * while an instance is disconnected are not replayed to its tails (they are in the store, searchable).
 */
export function createRedisEventBus(options: RedisEventBusOptions = {}): EventBus {
  const parsed = parseOptions('createRedisEventBus', Schema, options);
  const { redis, keyPrefix, release } = openRedis(parsed, 'Redis event bus');
  const onError = options.onError ?? (() => {});
  const channel = `${keyPrefix}tail`;
  const listeners = new Set<EventListener>();
  // Markers published by flush(): Redis delivers one connection's messages in order, so when the marker comes
  // back every earlier publish of this instance has been delivered.
  const markers = new Map<string, () => void>();
  let subscriber: ReturnType<typeof redis.duplicate> | undefined;
  let subscribed: Promise<unknown> | undefined;
  let closed = false;

  const ensureSubscriber = (): void => {
    if (subscriber) return;
    subscriber = redis.duplicate({ maxRetriesPerRequest: null });
    subscriber.on('error', onError);
    subscriber.on('message', (from: string, message: string) => {
      if (from !== channel) return;
      let parsed: { events?: ShoplogEvent[]; marker?: string };
      try {
        parsed = JSON.parse(message) as { events?: ShoplogEvent[]; marker?: string };
      } catch (error) {
        onError(error);
        return;
      }
      if (parsed.marker !== undefined) {
        markers.get(parsed.marker)?.();
        markers.delete(parsed.marker);
        return;
      }
      for (const event of parsed.events ?? []) {
        for (const listener of listeners) {
          try {
            listener(event);
          } catch (error) {
            onError(error);
          }
        }
      }
    });
    subscribed = subscriber.subscribe(channel).catch(onError);
  };

  return {
    async publish(events) {
      if (events.length === 0) return;
      // A listener added just before must not miss this: wait until our own SUBSCRIBE is active.
      if (subscribed) await subscribed;
      try {
        await redis.publish(channel, JSON.stringify({ events }));
      } catch (error) {
        onError(error);
      }
    },
    subscribe(listener) {
      ensureSubscriber();
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async ready() {
      ensureSubscriber();
      await subscribed;
    },
    async flush() {
      if (listeners.size === 0) return;
      await subscribed;
      const marker = randomUUID();
      const delivered = new Promise<void>((resolve) => markers.set(marker, resolve));
      try {
        await redis.publish(channel, JSON.stringify({ marker }));
      } catch (error) {
        markers.delete(marker);
        onError(error);
        return;
      }
      // A subscriber that is reconnecting never sees the marker: give up after a bound rather than hang.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
      });
      await Promise.race([delivered, timeout]);
      clearTimeout(timer);
      markers.delete(marker);
    },
    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      for (const resolve of markers.values()) resolve();
      markers.clear();
      if (subscriber) {
        await subscribed;
        await subscriber.quit().catch(() => subscriber?.disconnect());
      }
      await release();
    },
  };
}
