// The dashboard says why ingest is refused: a server whose data folder is below the free-space floor (a floor no
// disk reaches) shows the disk guard's reason above every page; a server with room shows nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, createServer, type ShoplogServer } from '../../src/index.js';
import { CHROMIUM, ensureWebBuilt, hasChromium, launchChromium, signIn } from './harness.js';

if (!hasChromium) console.warn(`[disk notice] browser tests skipped: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);

const PASS = 'correct horse battery staple';

describe.skipIf(!hasChromium)('dashboard notice of paused ingest', () => {
  let browser: Browser;
  const servers: { server: ShoplogServer; dir: string }[] = [];
  const start = async (minFreeDiskMb: number): Promise<ShoplogServer> => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-notice-'));
    const server = createServer({
      dataDir: dir,
      port: 0,
      ingestPort: -1,
      bootstrapPassword: PASS,
      logLevel: 'silent',
      minFreeDiskMb,
    });
    servers.push({ server, dir });
    await bootstrap(server);
    await server.start();
    return server;
  };
  const noticeOn = async (server: ShoplogServer): Promise<string | null> => {
    const page = await browser.newPage();
    await signIn(page, server.url, 'admin', PASS);
    await page.waitForLoadState('networkidle');
    const visible = await page.isVisible('#server-notice');
    const text = visible ? await page.textContent('#server-notice') : null;
    await page.close();
    return text;
  };

  beforeAll(async () => {
    ensureWebBuilt();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    for (const { server, dir } of servers) {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shows the reason while the disk guard holds, and nothing otherwise', async () => {
    const low = await start(100_000_000); // a floor of ≈ 95 TiB
    expect(await noticeOn(low)).toMatch(/^Ingest is paused .*below the floor of 100000000 MiB/);
    const fine = await start(1);
    expect(await noticeOn(fine)).toBeNull();
  });
});
