// Browser tests of the dashboard: the real server in-process on a temp data dir, real Chromium
// driven by playwright-core, the bundled page under its Content-Security-Policy. Screenshots go to docs/screenshots with SHOPLOG_SCREENSHOTS=docs.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transaction, userBehavior } from '@shoplog/core';
import { bootstrap, createServer, generateTraffic } from '../../src/index.js';
import type { ShoplogServer } from '../../src/index.js';
import { CHROMIUM, ensureWebBuilt, fmt, hasChromium, keyedApi, launchChromium, openPage, shots } from './harness.js';
import { XSS_MESSAGE, seedEvents } from './seed-events.js';

if (!hasChromium) console.warn(`[dashboard] browser tests skipped: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);
const USER = 'admin';
const KEY = 'slk_dashboard_browser_test_key_0001';
const PASS = 'correct horse battery staple';

describe.skipIf(!hasChromium)('dashboard in a browser', () => {
  let server: ShoplogServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  const api = keyedApi(() => server.url, KEY);
  const ingest = async (events: unknown[]) => expect((await api('POST', '/api/logs/ingest', events)).status).toBe(201);
  const apiGet = async <T>(path: string): Promise<T> => {
    const res = await context.request.get(`${server.url}${path}`);
    expect(res.status()).toBe(200);
    return (await res.json()) as T;
  };
  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
  // Playwright evaluates string expressions with eval, which the page's CSP refuses: use selectors and functions.
  const settle = () => page.waitForSelector('[aria-busy="true"]', { state: 'detached' });

  beforeAll(async () => {
    ensureWebBuilt();
    mkdirSync(shots, { recursive: true });
    const dataDir = mkdtempSync(join(tmpdir(), 'shoplog-dashboard-'));
    server = createServer({
      dataDir,
      port: 0,
      ingestPort: -1,
      bootstrapPassword: PASS,
      bootstrapKey: KEY,
      logLevel: 'silent',
    });
    await bootstrap(server);
    await server.start();
    await ingest(seedEvents(Date.now()));
    // Page views whose country GeoIP set from the client IP (this server runs no GeoIP of its own).
    await ingest(
      ['FR', 'FR', 'FR', 'DE', 'DE', 'JP'].map((country, i) => ({
        ...userBehavior(
          {
            message: `page view from ${country}`,
            shop: { action: 'page_view', session: { id: `sess-geo-${i}` } },
          } as Parameters<typeof userBehavior>[0],
          {
            service: { name: 'storefront' },
            now: () => Date.now() - (i + 1) * 60_000,
          },
        ),
        client: { ip: `203.0.113.${i + 1}`, geo: { country_iso_code: country } },
      })),
    );
    // Background traffic from the server's own generator, so the pages (and screenshots) look like a real shop's.
    const traffic = [...generateTraffic({ count: 1500, days: 2, seed: 7 })];
    for (let i = 0; i < traffic.length; i += 500) await ingest(traffic.slice(i, i + 500));
    browser = await launchChromium();
    // HTTP errors the page handles (401 before login, a 404 shown to the person) are logged by Chromium itself.
    ({ context, page } = await openPage(browser, problems, [401, 404], { acceptDownloads: true }));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('serves the page with a strict CSP and no inline script', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const js = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1] ?? '';
    expect((await fetch(`${server.url}${js}`)).headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${server.url}/assets/..%2Fpackage.json`)).status).toBe(404);
  });

  it('logs in, refusing a wrong password with a visible message', async () => {
    await page.goto(`${server.url}/`);
    await page.fill('#login-username', USER);
    await page.fill('#login-password', 'wrong');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('.form-error')).toContain('Wrong username or password');
    await shot('login');
    await page.fill('#login-password', PASS);
    await page.click('button[type=submit]');
    await page.waitForSelector('#overview-kpis');
    const storage = await context.storageState();
    expect(storage.origins.flatMap((o) => o.localStorage)).toEqual([]);
    expect(storage.cookies.find((c) => c.name === 'shoplog_session')?.httpOnly).toBe(true);
  });

  it('shows overview numbers that match the API', async () => {
    await settle();
    const o = await apiGet<{ total_logs: number; total_errors: number; unique_users: number }>(
      '/api/dashboard/overview?range=24h',
    );
    expect(o.total_logs).toBeGreaterThan(100);
    expect(await page.textContent('[data-kpi=total_logs] .kpi-value')).toBe(fmt(o.total_logs));
    expect(await page.textContent('[data-kpi=total_errors] .kpi-value')).toBe(fmt(o.total_errors));
    expect(await page.textContent('[data-kpi=unique_users] .kpi-value')).toBe(fmt(o.unique_users));
    await page.waitForSelector('#card-histogram canvas');
    await shot('overview');
  });

  it('changes the time range: the URL, the numbers and the charts follow', async () => {
    const before = await page.getAttribute('[data-histogram-total]', 'data-histogram-total');
    await page.selectOption('#range-select', '7d');
    await expect.poll(() => page.url()).toContain('range=7d');
    const o = await apiGet<{ total_logs: number }>('/api/dashboard/overview?range=7d');
    await expect.poll(() => page.textContent('[data-kpi=total_logs] .kpi-value')).toBe(fmt(o.total_logs));
    await settle();
    const after = await page.getAttribute('[data-histogram-total]', 'data-histogram-total');
    expect(Number(after)).toBe(o.total_logs);
    expect(Number(after)).toBeGreaterThan(Number(before));
    // An absolute range: from/to land in the URL.
    await page.selectOption('#range-select', 'custom');
    await page.fill('#range-from', '2020-01-01T00:00');
    await page.fill('#range-to', '2020-01-02T00:00');
    await page.click('.range-custom button[type=submit]');
    await expect.poll(() => page.url()).toContain('from=2020-01-01');
    await expect.poll(() => page.textContent('[data-kpi=total_logs] .kpi-value')).toBe('0');
    await page.selectOption('#range-select', '24h');
    await expect.poll(() => page.url()).toContain('range=24h');
  });

  it('searches with autocomplete and filters by a field value', async () => {
    await page.click('a[href^="#/search"]');
    await settle();
    await page.locator('body').press('/');
    expect(
      await page.evaluate(
        () => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id,
      ),
    ).toBe('search-input');
    await page.keyboard.type('gatew');
    await page.waitForSelector('.ac-list:not([hidden]) .ac-item');
    const suggestion = await page.textContent('.ac-list .ac-item:first-child .ac-text');
    expect(suggestion).toBe('gateway');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toContain('q=gateway');
    await page.waitForSelector('#search-results mark');
    const rows = await page.$$eval('#search-results tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    const api = await apiGet<{ data: { total: number } }>('/api/search/?range=24h&q=gateway');
    expect(rows).toHaveLength(api.data.total);
    for (const r of rows) expect(r).toContain('payment gateway timeout');
    expect(await page.textContent('#search-results mark')).toBe('gateway');
    // Clear the text and filter by level=error from the sidebar.
    await page.fill('#search-input', '');
    await page.press('#search-input', 'Enter');
    await expect.poll(() => page.url()).not.toContain('q=');
    await page.waitForSelector('#search-results tbody tr:not(:has(mark))');
    await settle();
    await page.click('[data-field=level] button:has(.fv-text:text-is("error"))');
    await expect.poll(() => page.url()).toContain('level=error');
    await expect.poll(() => page.textContent('#filter-chips')).toContain('level = error');
    await settle();
    const levels = await page.$$eval('#search-results tbody tr td:nth-child(2)', (tds) =>
      tds.map((td) => td.textContent),
    );
    expect(levels.length).toBeGreaterThan(0);
    expect(new Set(levels)).toEqual(new Set(['error']));
    const filtered = await apiGet<{ data: { total: number } }>('/api/search/?range=24h&level=error');
    expect(await page.textContent('#search-total')).toBe(`${fmt(filtered.data.total)} matching events`);
    await shot('search');
    // Swap the level filter for a payment method from the sidebar.
    await page.click('#filter-chips button[aria-label="Remove filter level"]');
    await expect.poll(() => page.url()).not.toContain('level=');
    await settle();
    await page.click('[data-field=payment_method] button:has(.fv-text:text-is("paypal"))');
    await expect.poll(() => page.url()).toContain('payment_method=paypal');
    await expect.poll(() => page.textContent('#filter-chips')).toContain('payment_method = paypal');
    await settle();
    const paypal = await apiGet<{ data: { total: number } }>('/api/search/?range=24h&payment_method=paypal');
    const all = await apiGet<{ data: { total: number } }>('/api/search/?range=24h&log_type=transaction');
    expect(paypal.data.total).toBeGreaterThan(0);
    expect(paypal.data.total).toBeLessThan(all.data.total);
    expect(await page.textContent('#search-total')).toBe(`${fmt(paypal.data.total)} matching events`);
    await page.click('#filter-chips button[aria-label="Remove filter payment_method"]');
    await expect.poll(() => page.url()).not.toContain('payment_method=');
    await settle();
    // Back to level=error, the search the export test downloads.
    await page.click('[data-field=level] button:has(.fv-text:text-is("error"))');
    await expect.poll(() => page.url()).toContain('level=error');
    await settle();
  });

  it('exports the current search as CSV and JSON', async () => {
    const total = (await apiGet<{ data: { total: number } }>('/api/search/?range=24h&level=error')).data.total;
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    const csv = readFileSync((await csvDownload.path()) ?? '', 'utf8');
    expect(csvDownload.suggestedFilename()).toMatch(/^shoplog-.*\.csv$/);
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(total + 1);
    expect(csv.split('\r\n')[0]).toContain('"log.level"');
    const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
    const events = JSON.parse(readFileSync((await jsonDownload.path()) ?? '', 'utf8')) as { log: { level: string } }[];
    expect(events).toHaveLength(total);
    expect(new Set(events.map((e) => e.log.level))).toEqual(new Set(['error']));
    await expect.poll(() => page.textContent('.toolbar-actions [role=status]')).toBe(`Exported ${fmt(total)} events.`);
  });

  it('opens one event', async () => {
    await page.click('#search-results tbody tr:first-child a');
    await page.waitForSelector('#event-fields');
    expect(page.url()).toContain('#/event/');
    const id = decodeURIComponent(page.url().split('#/event/')[1] ?? '');
    const ev = await apiGet<{ message: string }>(`/api/logs/${encodeURIComponent(id)}`);
    expect(await page.textContent('#event-message')).toBe(ev.message);
    expect(await page.textContent('#event-fields')).toContain(id);
    await shot('event');
  });

  it('tells the person when something cannot be loaded', async () => {
    await page.goto(`${server.url}/#/event/01900000-0000-7000-8000-000000000000`);
    await page.waitForSelector('.state-error');
    expect(await page.textContent('.state-error')).toMatch(/Could not load\. .+/);
  });

  it('shows fraud alerts with their reasons', async () => {
    await page.goto(`${server.url}/#/fraud?range=24h`);
    await page.waitForSelector('#fraud-alerts');
    const alerts = await apiGet<{ alerts: { reasons: { code: string }[] }[] }>('/api/fraud/alerts?range=24h&limit=50');
    expect(await page.locator('#fraud-alerts > li').count()).toBe(alerts.alerts.length);
    const ours = page.locator('#fraud-alerts > li:has-text("4 purchases by this user in 10 minutes")');
    expect(await ours.count()).toBe(1);
    expect(await ours.textContent()).toContain('VELOCITY_USER');
    expect(await ours.textContent()).toContain('+25');
    expect(await ours.textContent()).toContain('IP in NG, billing address in FR');
    await shot('fraud');
  });

  it('shows a live-tail line after an ingest', async () => {
    await page.goto(`${server.url}/#/tail`);
    await page.waitForSelector('#tail-status.live');
    const live = (message: string, status: 'completed' | 'declined') =>
      transaction(
        {
          message,
          shop: {
            transaction: { id: `tx-${message.length}-${status}`, type: 'purchase', status },
            amount: { value: '42.00', currency: 'EUR' },
          },
        } as Parameters<typeof transaction>[0],
        { service: { name: 'checkout-api' } },
      );
    await ingest([
      live('card declined for order ord-LIVE-41', 'declined'),
      live('live order ord-LIVE-42 paid', 'completed'),
    ]);
    await page.waitForSelector('#tail-lines li:has-text("live order ord-LIVE-42 paid")');
    expect(await page.locator('#tail-lines li').count()).toBe(2);
    expect(await page.textContent('#tail-lines li:first-child')).toContain('live order ord-LIVE-42 paid');
    await shot('tail');
  });

  it('uploads a file and shows its progress to the end', async () => {
    await page.goto(`${server.url}/#/upload`);
    const lines = Array.from({ length: 25 }, (_, i) =>
      JSON.stringify(
        transaction(
          {
            message: `imported order ${i}`,
            shop: {
              transaction: { id: `imp-${i}`, type: 'purchase', status: 'completed' },
              amount: { value: '10.00', currency: 'EUR' },
            },
          } as Parameters<typeof transaction>[0],
          { service: { name: 'legacy-import' } },
        ),
      ),
    );
    const file = join(tmpdir(), `shoplog-upload-${process.pid}.ndjson`);
    writeFileSync(file, `${lines.join('\n')}\nnot json\n`);
    await page.setInputFiles('#upload-file', file);
    await page.waitForSelector('#upload-status[data-done=completed]');
    expect(await page.getAttribute('#upload-progress', 'value')).toBe('100');
    expect(await page.getAttribute('#process-progress', 'value')).toBe('100');
    expect(await page.textContent('[data-stat=accepted] dd')).toBe('25');
    expect(await page.textContent('[data-stat=rejected] dd')).toBe('1');
    await shot('upload');
  });

  it('shows an HTML/script payload as text and runs nothing', async () => {
    await page.goto(`${server.url}/#/search?range=24h&q=payment+note`);
    await page.waitForSelector('#search-results');
    expect(await page.textContent('#search-results')).toContain('<script>window.__xss=2</script>');
    await page.click('#search-results tbody tr:has-text("window.__xss=2") a');
    await page.waitForSelector('#event-message');
    expect(await page.textContent('#event-message')).toBe(XSS_MESSAGE);
    expect(await page.textContent('#event-fields')).toContain('<b>Injected</b>');
    expect(await page.evaluate(() => (globalThis as Record<string, unknown>).__xss)).toBeUndefined();
    expect(await page.locator('#main img, #main script, #main svg[onload], #main b').count()).toBe(0);
  });

  it('shows the top countries of the client IPs, and opens a search for one', async () => {
    const o = await apiGet<{ top_countries: { country: string; count: number }[] }>(
      '/api/dashboard/overview?range=24h',
    );
    // The page views above and the generated traffic's client IPs: most first, each count the search's for it.
    const counts = o.top_countries.map((c) => c.count);
    expect(counts.length).toBeGreaterThan(2);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    for (const { country, count } of o.top_countries.slice(0, 3)) {
      const found = await apiGet<{ data: { total: number } }>(`/api/search/?range=24h&country=${country}`);
      expect(found.data.total).toBe(count);
    }
    const top = o.top_countries[0]!;
    await page.goto(`${server.url}/#/overview?range=24h`);
    await page.waitForSelector('#card-countries .bars');
    expect(await page.locator('#card-countries .bars li').count()).toBe(o.top_countries.length);
    expect(await page.textContent('#card-countries .bars li:first-child')).toContain(top.country);
    expect(await page.textContent('#card-countries .bars li:first-child')).toContain(fmt(top.count));
    await page.click('#card-countries .bars li:first-child button');
    await page.waitForURL(new RegExp(`#/search\\?.*country=${top.country}`));
    await page.waitForSelector('#search-total');
    await settle();
    expect(await page.textContent('#search-total')).toBe(`${fmt(top.count)} matching events`);
    expect(await page.textContent('button[aria-label="Remove filter country"]')).toContain(top.country);
  });

  it('renders the other pages and a phone layout', async () => {
    for (const view of ['performance', 'sales']) {
      await page.goto(`${server.url}/#/${view}?range=24h`);
      await settle();
      expect(await page.locator('.state-error').count()).toBe(0);
      await shot(view);
    }
    // The sales KPIs are the server's totals, not sums made in the browser.
    const tx = await apiGet<{ totals: { count_all_currencies: number; total_amount: number } }>(
      '/api/analytics/transactions?range=24h&granularity=hourly',
    );
    expect(tx.totals.count_all_currencies).toBeGreaterThan(0);
    expect(await page.textContent('[data-kpi=transactions] .kpi-value')).toBe(fmt(tx.totals.count_all_currencies));
    const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    expect(await page.textContent('[data-kpi=revenue] .kpi-value')).toBe(money.format(tx.totals.total_amount));
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/#/overview?range=24h`);
    await settle();
    await shot('overview-phone');
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.reload();
    await settle();
    await page.waitForSelector('#card-histogram canvas');
    await shot('overview-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('hides what a viewer may not use', async () => {
    const created = await fetch(`${server.url}/api/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'vera', password: 'viewer password 123', role: 'viewer' }),
    });
    expect(created.status).toBe(201);
    const viewer = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC' });
    const vp = await viewer.newPage();
    vp.on('pageerror', (e) => problems.push(`viewer page error: ${e.message}`));
    await vp.goto(`${server.url}/#/upload`);
    await vp.fill('#login-username', 'vera');
    await vp.fill('#login-password', 'viewer password 123');
    await vp.click('button[type=submit]');
    await vp.waitForSelector('.state-error');
    expect(await vp.textContent('.state-error')).toContain('needs the analyst or admin role');
    expect(await vp.locator('.sidenav a[href^="#/upload"]').count()).toBe(0);
    expect(await vp.locator('.sidenav a[href^="#/search"]').count()).toBe(1);
    await viewer.close();
  });

  it('signs out: the session cookie no longer works', async () => {
    await page.click('#logout');
    await page.waitForSelector('#login-username');
    const res = await context.request.get(`${server.url}/api/auth/me`);
    expect(res.status()).toBe(401);
  });

  it('had no CSP violation and no page error', () => {
    expect(problems).toEqual([]);
  });
});
