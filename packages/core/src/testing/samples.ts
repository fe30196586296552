import { appLog, error, performance, transaction, userBehavior } from '../builders.js';
import type { ShoplogEvent } from '../schema/kinds.js';

/** Valid events of several kinds, with and without client addresses, for a plugin's contract run. */
export function sampleEvents(): ShoplogEvent[] {
  const ips = ['81.2.69.142', '2a01:e0a::7', '10.0.0.1', 'not-an-ip', undefined];
  const out: ShoplogEvent[] = [];
  ips.forEach((ip, i) => {
    const client = ip === undefined ? {} : { client: { ip } };
    out.push(
      transaction({
        ...client,
        user: { id: `u-${i}` },
        shop: {
          transaction: { id: `tx-${i}`, type: 'purchase', status: 'completed' },
          amount: { value: '19.90', currency: 'EUR' },
        },
      }),
      error({
        ...client,
        message: `boom ${i}`,
        error: { type: 'TypeError', message: `boom ${i}` },
        shop: { error: { kind: 'exception' } },
      }),
      userBehavior({ ...client, shop: { action: 'page_view', session: { id: `s-${i}` } } }),
      performance({ ...client, event: { duration: 1_000_000 * (i + 1) }, shop: { performance: { kind: 'http' } } }),
      appLog({ message: `line ${i}`, log: { level: 'info' } }),
    );
  });
  return out;
}
