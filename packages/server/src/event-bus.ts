import type { ShoplogEvent } from '@shoplog/core';
import type { EventListener, LogStore } from './ports.js';

/** Fans newly stored events out to every server instance (for the live tail). */
export interface EventBus {
  /** Publishes events stored by this instance to every instance's subscribers (this one included). */
  publish(events: readonly ShoplogEvent[]): Promise<void>;
  /** Calls `listener` for each published event; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void;
  /** Resolves once this instance receives what is published (its subscription is active). */
  ready(): Promise<void>;
  /** Resolves once every event this instance published so far has reached its own listeners. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Wraps a log store so that its live tail spans every instance: events the store reports as `created` are
 * published on the bus, and `subscribe` listens to the bus instead of the local store. `refresh` also waits
 * until this instance's tails have received what it published.
 */
export function withEventBus(store: LogStore, bus: EventBus): LogStore {
  return {
    async appendBatch(events, texts) {
      const results = await store.appendBatch(events, texts);
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
    async refresh() {
      await Promise.all([store.refresh(), bus.flush()]);
    },
    whenSearchable: () => store.whenSearchable(),
    async close() {
      await bus.close();
      await store.close();
    },
  };
}
