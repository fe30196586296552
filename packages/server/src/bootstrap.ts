import { randomUUID } from 'node:crypto';
import { sha256, randomToken } from './auth/secrets.js';
import { generateTraffic } from './generator.js';
import { createApiKey, createUser } from './http/admin-routes.js';
import { DEMO_CHANNEL } from './notifications.js';
import type { ShoplogServer } from './server.js';

/** What the first start created (secrets are only known here, once). */
export interface BootstrapResult {
  adminPassword?: string;
  adminKey?: string;
  demoEvents?: number;
}

/**
 * First-run setup: an `admin` user (password from `bootstrapPassword` or generated) and an admin API key
 * (`bootstrapKey` or generated) when there is no user yet; the bootstrap key is (re)registered on every start
 * when given. With `demo`, loads generated sample data (7 days, all five kinds) once, and when the demo's console
 * channel is configured, an alert rule that notifies it.
 */
export async function bootstrap(
  server: ShoplogServer,
  options: { demo?: boolean; demoEvents?: number } = {},
): Promise<BootstrapResult> {
  const { meta, logs } = server.stores;
  const config = server.config;
  const result: BootstrapResult = {};
  if ((await meta.countUsers()) === 0) {
    const password = config.bootstrapPassword ?? randomToken(18);
    await createUser(meta, 'admin', password, 'admin');
    if (!config.bootstrapPassword) result.adminPassword = password;
    if (!config.bootstrapKey) result.adminKey = (await createApiKey(meta, 'bootstrap admin', 'admin')).key;
  }
  if (config.bootstrapKey && !(await meta.findApiKey(sha256(config.bootstrapKey)))) {
    await createApiKey(meta, 'bootstrap key (SHOPLOG_BOOTSTRAP_KEY)', 'admin', config.bootstrapKey);
  }
  if (options.demo && (await meta.getSetting('demo_loaded')) === undefined) {
    const count = options.demoEvents ?? 5000;
    // Through the server's own ingest, as a shop's events arrive: its processors (GeoIP when installed) fill what
    // they fill, so the dashboard's country views show them at work. A sale and its verdict stay in one batch, so
    // the server does not judge again a sale the generator already judged.
    let batch: unknown[] = [];
    const send = async (): Promise<void> => {
      const items = await server.ingest(batch);
      const refused = items.filter((item) => item.result === 'error');
      if (refused.length > 0)
        throw new Error(`demo data: ${refused.length} sample events refused: ${JSON.stringify(refused[0])}`);
      batch = [];
    };
    for (const event of generateTraffic({ count, days: 7, seed: Date.now() % 100_000 })) {
      if (batch.length >= 1000 && event.event.dataset !== 'shoplog.fraud') await send();
      batch.push(event);
    }
    if (batch.length > 0) await send();
    await logs.refresh();
    if (config.notifications.channels.some((c) => c.name === DEMO_CHANNEL)) {
      await meta.createAlertRule({
        id: randomUUID(),
        userId: null,
        name: 'Demo: errors this week',
        metric: 'count',
        filters: { log_type: 'error' },
        windowMs: 7 * 86_400_000,
        threshold: 0,
        state: 'unknown',
        lastValue: null,
        lastFiredAt: null,
        lastEvaluatedAt: null,
        createdAt: Date.now(),
        channels: [DEMO_CHANNEL],
        firingSince: null,
      });
    }
    await meta.setSetting('demo_loaded', new Date().toISOString());
    result.demoEvents = count;
  }
  return result;
}
