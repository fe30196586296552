import { transaction } from '@shoplog/core';
import type { ShoplogEvent } from '@shoplog/core';
import { describe, expect, it } from 'vitest';
import { createRedisEventBus } from '../../src/adapters/redis/index.js';
import { REDIS_URL, uniquePrefix } from './redis-env.js';

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe.skipIf(!REDIS_URL)('Redis event bus (live tail fan-out)', () => {
  it('delivers every event published by one instance to the tails of all instances, in order', async () => {
    const keyPrefix = uniquePrefix();
    const a = createRedisEventBus({ url: REDIS_URL, keyPrefix });
    const b = createRedisEventBus({ url: REDIS_URL, keyPrefix });
    const other = createRedisEventBus({ url: REDIS_URL, keyPrefix: uniquePrefix() });
    const seenA: string[] = [];
    const seenB: string[] = [];
    const seenOther: string[] = [];
    a.subscribe((event) => seenA.push(event.event.id));
    b.subscribe((event) => seenB.push(event.event.id));
    other.subscribe((event) => seenOther.push(event.event.id));
    await Promise.all([a.ready(), b.ready(), other.ready()]);

    const events: ShoplogEvent[] = Array.from({ length: 5 }, (_, i) =>
      transaction({
        shop: {
          transaction: { id: `tx-${i}`, type: 'purchase', status: 'completed' },
          amount: { currency: 'EUR', minor: 1000 + i },
        },
      }),
    );
    await a.publish(events.slice(0, 3));
    await b.publish(events.slice(3));
    const ids = events.map((event) => event.event.id);
    await until(() => seenA.length === 5 && seenB.length === 5);
    expect(seenA).toEqual(ids);
    expect(seenB).toEqual(ids);
    expect(seenOther).toEqual([]); // another deployment's prefix is another channel
    await Promise.all([a.close(), b.close(), other.close()]);
  });

  it('stops calling a listener once unsubscribed', async () => {
    const keyPrefix = uniquePrefix();
    const bus = createRedisEventBus({ url: REDIS_URL, keyPrefix });
    const kept: string[] = [];
    const dropped: string[] = [];
    bus.subscribe((event) => kept.push(event.event.id));
    const unsubscribe = bus.subscribe((event) => dropped.push(event.event.id));
    await bus.ready();
    unsubscribe();
    const event = transaction({
      shop: { transaction: { id: 't', type: 'purchase', status: 'completed' }, amount: { currency: 'EUR', minor: 1 } },
    });
    await bus.publish([event]);
    await until(() => kept.length === 1);
    expect(kept).toEqual([event.event.id]);
    expect(dropped).toEqual([]);
    await bus.close();
  });
});
