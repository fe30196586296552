// Runs against a real cluster when ELASTICSEARCH_URL is set (the Compose stack in infra/ provides one); skipped otherwise.
import { Client } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { createDeliveryEngine, createElasticsearchSink } from '../src/index.js';
import { makeEvents, tempDir } from './fixtures/events.js';

const url = process.env.ELASTICSEARCH_URL;
if (!url) console.info('[skip] elasticsearch-contract: set ELASTICSEARCH_URL to run it against a real cluster');

describe.skipIf(!url)('Elasticsearch sink against a real cluster', () => {
  it('stores each event once in its data stream, and a resent batch only yields 409s', async () => {
    const client = new Client({ node: url as string });
    const namespace = `test${Date.now()}`;
    const index = `logs-shoplog.error-${namespace}`;
    const events = makeEvents(50);
    for (let round = 0; round < 2; round++) {
      const engine = createDeliveryEngine({
        sink: createElasticsearchSink({ client, namespace }),
        spoolDir: tempDir(),
        exitHooks: false,
      });
      for (const e of events) engine.enqueue(e);
      await engine.flush();
      const m = engine.metrics();
      await engine.close();
      expect(m).toMatchObject({ sent: 50, duplicates: round === 0 ? 0 : 50, deadLettered: 0, spooled: 0 });
    }
    await client.indices.refresh({ index });
    const { count } = await client.count({ index });
    expect(count).toBe(50);
    await client.indices.deleteDataStream({ name: index });
    await client.close();
  });
});
