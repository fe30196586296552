import type { ShoplogEvent } from '@shoplog/core';
import { z } from 'zod';
import type { EventListener, LogStore } from '../../ports.js';
import { connectionShape, openRedis, parseOptions } from './connection.js';
import type { RedisConnectionOptions } from './connection.js';

/** Fans newly stored events out to every server instance (for the live tail). */
export interface EventBus {
  /** Publishes events stored by this instance to every instance's subscribers (this one included). */
  publish(events: readonly ShoplogEvent[]): Promise<void>;
  /** Calls `listener` for each published event; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void;
  /** Resolves once this instance receives what is published (its subscription is active). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** Options of `createRedisEventBus`. */
export interface RedisEventBusOptions extends RedisConnectionOptions {
  /** Called when a message cannot be published or read. @default ignore */
  onError?: (error: unknown) => void;
}

const Schema = z.object({ ...connectionShape, onError: z.function().optional() });

/**
 * The live-tail fan-out on Redis pub/sub: one message per stored batch on `<prefix>tail`, one subscriber
 * connection per instance (ioredis re-subscribes after a reconnection). Pub/sub is at-most-once: events stored
 * while an instance is disconnected are not replayed to its tails (they are in the store, searchable).
 */
export function createRedisEventBus(options: RedisEventBusOptions = {}): EventBus {
  const parsed = parseOptions(Schema, options, 'Redis event bus');
  const { redis, keyPrefix, release } = openRedis(parsed, 'Redis event bus');
  const onError = options.onError ?? (() => {});
  const channel = `${keyPrefix}tail`;
  const listeners = new Set<EventListener>();
  let subscriber: ReturnType<typeof redis.duplicate> | undefined;
  let subscribed: Promise<unknown> | undefined;
  let closed = false;

  const ensureSubscriber = (): void => {
    if (subscriber) return;
    subscriber = redis.duplicate({ maxRetriesPerRequest: null });
    subscriber.on('error', onError);
    subscriber.on('message', (from: string, message: string) => {
      if (from !== channel) return;
      let events: ShoplogEvent[];
      try {
        events = JSON.parse(message) as ShoplogEvent[];
      } catch (error) {
        onError(error);
        return;
      }
      for (const event of events) {
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
      try {
        await redis.publish(channel, JSON.stringify(events));
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
    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      if (subscriber) {
        await subscribed;
        await subscriber.quit().catch(() => subscriber?.disconnect());
      }
      await release();
    },
  };
}

/**
 * Wraps a log store so that its live tail spans every instance: events the store reports as `created` are
 * published on the bus, and `subscribe` listens to the bus instead of the local store.
 */
export function withEventBus(store: LogStore, bus: EventBus): LogStore {
  return {
    async appendBatch(events) {
      const results = await store.appendBatch(events);
      await bus.publish(events.filter((_, i) => results[i] === 'created'));
      return results;
    },
    subscribe: (listener) => bus.subscribe(listener),
    get: (id) => store.get(id),
    recent: (options) => store.recent(options),
    count: (filter) => store.count(filter),
    search: (query) => store.search(query),
    terms: (filter, field, options) => store.terms(filter, field, options),
    cardinality: (filter, field) => store.cardinality(filter, field),
    histogram: (filter, options) => store.histogram(filter, options),
    stats: (filter, field) => store.stats(filter, field),
    latency: (filter, groupBy, options) => store.latency(filter, groupBy, options),
    autocomplete: (field, prefix, limit) => store.autocomplete(field, prefix, limit),
    fieldTops: (filter, fields, size) => store.fieldTops(filter, fields, size),
    refresh: () => store.refresh(),
    async close() {
      await bus.close();
      await store.close();
    },
  };
}
