// Browser test of the fraud page's backtest panel: the real server in-process on a temp data dir with labelled
// transactions, real Chromium driven by playwright-core under the page's CSP.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FRAUD_MODEL, transactionEventFromInput } from '@shoplog/core';
import { bootstrap, createServer, type ShoplogServer } from '../../src/index.js';
import { traffic } from '../fraud-traffic.js';
import { CHROMIUM, ensureWebBuilt, hasChromium, keyedApi, launchChromium, openPage, shots, signIn } from './harness.js';

if (!hasChromium)
  console.warn(`[fraud backtest] browser tests skipped: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);
const KEY = 'slk_fraud_backtest_browser_test_key_1';
const PASS = 'correct horse battery staple';
/** A model version that is markup: the page must show it as text. */
const XSS_VERSION = '<img src=x onerror="window.__xss=1">';

describe.skipIf(!hasChromium)('fraud page backtest panel in a browser', () => {
  let server: ShoplogServer;
  let dataDir: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const api = keyedApi(() => server.url, KEY);

  beforeAll(async () => {
    ensureWebBuilt();
    dataDir = mkdtempSync(join(tmpdir(), 'shoplog-backtest-web-'));
    server = createServer({
      dataDir,
      port: 0,
      ingestPort: -1,
      bootstrapPassword: PASS,
      bootstrapKey: KEY,
      logLevel: 'silent',
      minFreeDiskMb: 0,
      retentionDays: 0,
    });
    await bootstrap(server);
    await server.start();
    const txs = traffic(11, 300);
    const res = await api(
      'POST',
      '/api/logs/ingest',
      txs.map((tx) => transactionEventFromInput(tx.input)),
    );
    expect(res.status).toBe(201);
    await server.stores.logs.refresh();
    const labelled = [...txs.filter((x) => x.fraud).slice(0, 10), ...txs.filter((x) => !x.fraud).slice(0, 20)];
    for (const tx of labelled)
      expect(
        (
          await api('POST', '/api/fraud/feedback', {
            transaction_id: tx.input.transactionId,
            label: tx.fraud ? 'confirmed_fraud' : 'legitimate',
          })
        ).status,
      ).toBe(201);
    await server.stores.meta.addFraudModel({
      version: XSS_VERSION,
      model: { ...DEFAULT_FRAUD_MODEL, version: XSS_VERSION },
      basedOn: 'default',
      trigger: 'manual',
      trained: { labels: 0, fraud: 0, missing: 0 },
      metrics: null,
      createdAt: Date.now(),
    });
    browser = await launchChromium();
    // 400: the refused window the form shows; 401 before login.
    ({ page } = await openPage(browser, problems, [400, 401], { viewport: { width: 1280, height: 900 } }));
    await signIn(page, server.url, 'admin', PASS);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a backtest of a window and a version and shows the results table, with markup shown as text', async () => {
    await page.goto(`${server.url}/#/fraud?range=24h`);
    await page.waitForSelector('#backtest-form');
    // The stored versions join the choices (as text: the option's label is the markup itself).
    await page.waitForSelector(`#backtest-version option[value="${XSS_VERSION.replaceAll('"', '\\"')}"]`, {
      state: 'attached',
    });
    await page.fill('#backtest-from', '2000-01-01T00:00');
    await page.click('#backtest-form button[type=submit]');
    // A window of 26 years is refused, the field named.
    await page.waitForSelector('#backtest-form-error:not(:empty)');
    expect(await page.textContent('#backtest-form-error')).toContain('to the window must be at most 92 days');

    const from = new Date(Date.now() - 40 * 86_400_000).toISOString().slice(0, 16);
    await page.fill('#backtest-from', from);
    await page.selectOption('#backtest-version', XSS_VERSION);
    await page.click('#backtest-form button[type=submit]');
    await page.waitForSelector('#backtest-table');
    const summary = (await page.textContent('#backtest-summary')) ?? '';
    expect(summary).toContain(`Version ${XSS_VERSION}`);
    expect(summary).toContain('300 transactions');
    expect(summary).toContain('Labels: 10 fraud, 20 legitimate.');
    expect(await page.evaluate(() => (globalThis as Record<string, unknown>).__xss)).toBeUndefined();
    expect(await page.locator('#backtest-result img').count()).toBe(0);

    // The table says what the API says for the same backtest.
    const res = await api('POST', '/api/fraud/backtest', {
      from: `${from}:00Z`,
      to: new Date(Date.now() + 60_000).toISOString(),
      version: XSS_VERSION,
    });
    expect(res.status).toBe(202);
    let job = (await res.json()) as {
      id: string;
      status: string;
      report: { overall: { flagged: number }; byReason: { code: string; flagged: number }[] };
    };
    while (job.status === 'running')
      job = (await (await api('GET', `/api/fraud/backtest/${job.id}`)).json()) as typeof job;
    const rows = page.locator('#backtest-table tbody tr');
    expect(await rows.count()).toBe(1 + job.report.byReason.length);
    expect(await rows.nth(0).locator('td').nth(1).textContent()).toBe(String(job.report.overall.flagged));
    if (job.report.byReason[0])
      expect(await rows.nth(1).locator('td').nth(0).textContent()).toBe(job.report.byReason[0].code);
    mkdirSync(shots, { recursive: true });
    await page.locator('#card-backtest').screenshot({ path: join(shots, 'fraud-backtest.png') });
    expect(problems).toEqual([]);
  });
});
