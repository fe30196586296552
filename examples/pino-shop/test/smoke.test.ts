import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBulkServer, type BulkServer } from '../../../packages/node-transport/test/fixtures/bulk-server.js';

const here = dirname(fileURLToPath(import.meta.url));
let server: BulkServer;
beforeAll(async () => {
  server = await startBulkServer({ apiKey: 'demo-key' });
});
afterAll(() => server.close());

describe('examples/pino-shop', () => {
  it('runs and its six events arrive at the bulk endpoint', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(here, '..', 'index.mjs')], {
      env: {
        ...process.env,
        SHOPLOG_URL: server.url,
        SHOPLOG_API_KEY: 'demo-key',
        SHOPLOG_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'pino-shop-')),
      },
    });
    expect(stdout).toContain('6 events logged');
    expect(server.stored).toHaveLength(6);
    const datasets = server.stored.map((id) => (server.docs.get(id) as { event: { dataset: string } }).event.dataset);
    expect(datasets).toEqual([
      'shoplog.transaction',
      'shoplog.transaction',
      'shoplog.transaction',
      'shoplog.error',
      'shoplog.error',
      'shoplog.performance',
    ]);
  });
});
