// Browser tests of the management pages (alert rules with channels and history, API keys, users and roles, saved
// searches, plugins with their health): the real server in-process on a temp data dir, real Chromium driven by
// playwright-core under the page's CSP. The server's `/api/dashboard/health` carries no `plugins` yet: one test adds
// that field (the shape the plugin framework will report) to the real server's answer with a Fastify onSend hook.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, createServer } from '../../src/index.js';
import type { ShoplogServer } from '../../src/index.js';
import {
  CHROMIUM,
  ensureWebBuilt,
  fmt,
  hasChromium,
  keyedApi,
  launchChromium,
  openPage,
  shots,
  signIn,
} from './harness.js';
import { seedEvents } from './seed-events.js';

if (!hasChromium) console.warn(`[manage pages] browser tests skipped: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);
const KEY = 'slk_manage_pages_browser_test_key_01';
const PASS = 'correct horse battery staple';
const XSS_RULE = '<img src=x onerror="window.__xss=1">errors & co';
const XSS_SAVED = '<b>bold</b><script>window.__xss=3</script>';
const PLUGINS = [
  {
    name: 'plugin-geoip',
    version: '1.2.0',
    kind: 'processor',
    stage: 'enrich',
    state: 'ok',
    calls: 1200,
    errors: 0,
    timeouts: 0,
    total_ms: 240,
  },
  {
    name: 'shop-scorer',
    version: '0.3.1',
    kind: 'processor',
    stage: 'score',
    state: 'failing',
    calls: 50,
    errors: 7,
    timeouts: 2,
    total_ms: 900,
    last_error: '<img src=x onerror="window.__xss=4">timeout',
  },
  {
    name: 'slack-out',
    version: '2.0.0',
    kind: 'notifier',
    stage: 'notify',
    state: 'open',
    calls: 9,
    errors: 9,
    timeouts: 0,
    total_ms: 45,
    last_error: 'ECONNREFUSED',
  },
];
type Json = Record<string, unknown>;
// A zod-like schema that takes anything: plugin modules in a temp folder cannot import zod.
const ANY = '{ safeParse: (v) => ({ success: true, data: v }) }';

describe.skipIf(!hasChromium)('management pages in a browser', () => {
  let server: ShoplogServer;
  let dataDir: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let reportPlugins = false;
  const problems: string[] = [];

  const api = keyedApi(() => server.url, KEY);
  const apiJson = async <T>(path: string): Promise<T> => {
    const res = await api('GET', path);
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  const settle = () => page.waitForSelector('[aria-busy="true"]', { state: 'detached' });
  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
  const open = async (view: string) => {
    const target = `${server.url}/#/${view}`;
    // Going to the URL the page is on changes nothing: reload it instead, so the page asks the server again.
    if (page.url() === target) await page.reload();
    else await page.goto(target);
    await page.waitForSelector('#main');
    await settle();
  };
  const xssRan = () => page.evaluate(() => (globalThis as Record<string, unknown>).__xss);
  const activeId = () =>
    page.evaluate(
      () =>
        (globalThis as unknown as { document: { activeElement: { id: string; textContent: string } } }).document
          .activeElement.id,
    );
  const activeText = () =>
    page.evaluate(
      () =>
        (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document.activeElement
          .textContent,
    );

  beforeAll(async () => {
    ensureWebBuilt();
    mkdirSync(shots, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'shoplog-manage-'));
    // Two fraud rule plugins beside the config: one that runs on the seeded sales, one for a plugin API to come.
    const rule = (name: string, apiVersion: number) =>
      `export default { name: '${name}', version: '1.0.0', apiVersion: ${apiVersion}, kind: 'rule', options: ${ANY}, create: () => ({ code: 'SEEDED', description: 'x', params: ${ANY}, create: (params) => ({ code: 'SEEDED', params, evaluate: () => null }) }) };\n`;
    writeFileSync(join(dataDir, 'seed-rule.mjs'), rule('seed-rule', 1));
    writeFileSync(join(dataDir, 'future-rule.mjs'), rule('future-rule', 2));
    server = createServer({
      // No free-space floor: the machine's disk is shared, and the disk guard is not what these tests are about.
      dataDir,
      port: 0,
      ingestPort: -1,
      bootstrapPassword: PASS,
      bootstrapKey: KEY,
      logLevel: 'silent',
      minFreeDiskMb: 0,
      notifications: { channels: [{ name: 'ops-log', type: 'log' }], groupWindowSeconds: 0 },
      configDir: dataDir,
      fraudRules: ['./seed-rule.mjs', './future-rule.mjs'],
    });
    // Adds `plugins` to the real health answer while a test asks for it (the field the plugin framework will fill).
    server.app.addHook('onSend', async (request, _reply, payload) => {
      if (!reportPlugins || !request.url.startsWith('/api/dashboard/health') || typeof payload !== 'string')
        return payload;
      return JSON.stringify({ ...(JSON.parse(payload) as Json), plugins: PLUGINS });
    });
    await bootstrap(server);
    await server.start();
    const res = await api('POST', '/api/logs/ingest', seedEvents(Date.now()));
    expect(res.status).toBe(201);
    browser = await launchChromium();
    // 400s are the refusals the forms show (a bad window, a short password); 401 before login.
    ({ context, page } = await openPage(browser, problems, [400, 401]));
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await signIn(page, server.url, 'admin', PASS);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists the management pages in the navigation of an admin', async () => {
    for (const view of ['saved', 'alerts', 'plugins', 'keys', 'users'])
      expect(await page.locator(`.sidenav a[href^="#/${view}"]`).count()).toBe(1);
  });

  it('creates an alert rule whose name is markup, shown as text, that fires and is in the history', async () => {
    await open('alerts');
    expect(await page.textContent('#card-rules')).toContain('No alert rules yet.');
    expect(await page.textContent('#alert-channels')).toContain('ops-log');
    // A bad window is refused with the field named, and nothing is created.
    await page.fill('#rule-name', XSS_RULE);
    await page.selectOption('#rule-metric', 'count');
    await page.fill('#rule-threshold', '0');
    await page.fill('#rule-window', 'soon');
    await page.click('#rule-form button[type=submit]');
    await expect.poll(() => page.textContent('#rule-form-error')).toContain('window must be a duration');
    await page.fill('#rule-window', '1h');
    await page.fill('#rule-filters', 'level=error');
    await page.check('#rule-channel-ops-log');
    await page.click('#rule-form button[type=submit]');
    await page.waitForSelector('#alert-rules');
    const { rules } = await apiJson<{ rules: { id: string; name: string; filters: Json; channels: string[] }[] }>(
      '/api/alerts/rules',
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ name: XSS_RULE, filters: { level: 'error' }, channels: ['ops-log'] });
    expect(await page.textContent('#alert-rules .rule-name')).toBe(XSS_RULE);
    expect(await page.textContent('#alert-rules tbody tr')).toContain('level=error');
    expect(await page.locator('#main img').count()).toBe(0);
    // Evaluate now: the seeded errors make it fire, and the channel is told.
    await page.click('#alerts-evaluate');
    await expect.poll(() => page.textContent('#alert-rules tbody tr')).toContain('firing');
    await expect
      .poll(async () => (await apiJson<{ notifications: unknown[] }>('/api/alerts/history')).notifications.length)
      .toBe(1);
    await open('alerts');
    await page.waitForSelector('#alert-history');
    const history = await page.textContent('#alert-history tbody tr');
    expect(history).toContain('ops-log');
    expect(history).toContain('alert.firing');
    expect(history).toContain('sent');
    const { channels } = await apiJson<{ channels: { name: string; metrics: { sent: number } }[] }>(
      '/api/alerts/channels',
    );
    expect(await page.textContent('#alert-channels tbody tr td:nth-child(4)')).toBe(
      fmt(channels[0]?.metrics.sent ?? -1),
    );
    // The history narrows to one rule.
    await page.selectOption('#history-rule', rules[0]?.id ?? '');
    await settle();
    expect(await page.locator('#alert-history tbody tr').count()).toBe(1);
    expect(await xssRan()).toBeUndefined();
    await shot('alerts');
  });

  it('edits a rule from the keyboard (a bad window refused, naming it) and disables and enables it', async () => {
    await open('alerts');
    const [before] = (
      await apiJson<{ rules: { id: string; threshold: number; enabled: boolean; state: string }[] }>(
        '/api/alerts/rules',
      )
    ).rules;
    expect(before).toMatchObject({ enabled: true, state: 'firing' });
    await page.focus('#alert-rules button[aria-label^="Edit rule"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#rule-editing');
    await expect.poll(activeId).toBe('rule-name');
    // The form holds the rule as stored.
    expect(await page.inputValue('#rule-name')).toBe(XSS_RULE);
    expect(await page.inputValue('#rule-threshold')).toBe('0');
    expect(await page.inputValue('#rule-window')).toBe('60m');
    expect(await page.inputValue('#rule-filters')).toBe('level=error');
    expect(await page.isChecked('#rule-channel-ops-log')).toBe(true);
    await page.fill('#rule-window', 'soon');
    await page.click('#rule-form button[type=submit]');
    await expect.poll(() => page.textContent('#rule-form-error')).toContain('window must be a duration');
    expect((await apiJson<{ rules: { window: string }[] }>('/api/alerts/rules')).rules[0]?.window).toBe('60m');
    await page.fill('#rule-window', '2h');
    await page.fill('#rule-threshold', '1000');
    await page.click('#rule-form button[type=submit]');
    await expect.poll(() => page.textContent('#alerts-status')).toContain('Saved');
    const [edited] = (
      await apiJson<{ rules: { id: string; name: string; threshold: number; window: string; channels: string[] }[] }>(
        '/api/alerts/rules',
      )
    ).rules;
    expect(edited).toMatchObject({
      id: before?.id,
      name: XSS_RULE,
      threshold: 1000,
      window: '120m',
      channels: ['ops-log'],
    });
    await page.waitForSelector('#rule-form:not(:has(#rule-editing))'); // back to a new rule
    // Disable: the firing rule's channel is told it resolved, the row says disabled; enable again.
    await page.click('#alert-rules button[aria-label^="Disable rule"]');
    await expect.poll(() => page.textContent('#alerts-status')).toContain('Disabled');
    await expect.poll(() => page.textContent('#alert-rules tbody tr')).toContain('disabled');
    expect((await apiJson<{ rules: { enabled: boolean }[] }>('/api/alerts/rules')).rules[0]?.enabled).toBe(false);
    await expect
      .poll(async () =>
        (await apiJson<{ notifications: { type: string }[] }>('/api/alerts/history')).notifications.map((n) => n.type),
      )
      .toEqual(['alert.resolved', 'alert.firing']);
    await page.click('#alert-rules button[aria-label^="Enable rule"]');
    await expect.poll(() => page.textContent('#alerts-status')).toContain('Enabled');
    await expect.poll(() => page.textContent('#alert-rules tbody tr')).toContain('unknown');
    expect((await apiJson<{ rules: { enabled: boolean }[] }>('/api/alerts/rules')).rules[0]?.enabled).toBe(true);
    expect(await xssRan()).toBeUndefined();
  });

  it('deletes a rule only once confirmed (Escape and Cancel keep it)', async () => {
    const deleteButton = page.locator('#alert-rules button[aria-label^="Delete rule"]');
    await deleteButton.click();
    await page.waitForSelector('#confirm-dialog[open]');
    expect(await page.textContent('#confirm-message')).toContain(XSS_RULE);
    expect(await activeText()).toBe('Cancel');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#confirm-dialog', { state: 'detached' });
    await deleteButton.click();
    await page.click('#confirm-dialog button:text-is("Cancel")');
    expect((await apiJson<{ rules: unknown[] }>('/api/alerts/rules')).rules).toHaveLength(1);
    await deleteButton.click();
    await page.click('#confirm-dialog button:text-is("Delete rule")');
    await expect.poll(() => page.textContent('#alerts-status')).toContain('Deleted');
    await page.waitForSelector('#card-rules :text("No alert rules yet.")');
    expect((await apiJson<{ rules: unknown[] }>('/api/alerts/rules')).rules).toEqual([]);
  });

  it('creates an API key from the keyboard, shows its secret once with a copy button, and revokes it', async () => {
    await open('keys');
    await page.focus('#key-name');
    await page.keyboard.type('checkout-api');
    await page.keyboard.press('Tab');
    expect(await activeId()).toBe('key-scope');
    await page.selectOption('#key-scope', 'read');
    await page.focus('#key-name');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#new-key');
    expect(await activeId()).toBe('new-key');
    const secret = await page.inputValue('#new-key-secret');
    expect(secret).toMatch(/^slk_/);
    await page.click('#new-key-copy');
    await expect.poll(() => page.textContent('#new-key-copied')).toBe('Copied.');
    expect(
      await page.evaluate(() =>
        (
          globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
        ).navigator.clipboard.readText(),
      ),
    ).toBe(secret);
    // The secret works with the scope chosen, and the list never carries it.
    expect((await api('GET', '/api/logs/types', undefined, secret)).status).toBe(200);
    expect((await api('GET', '/api/users', undefined, secret)).status).toBe(403);
    const { keys } = await apiJson<{ keys: { id: string; name: string; scope: string }[] }>('/api/keys');
    const created = keys.find((k) => k.name === 'checkout-api');
    expect(created?.scope).toBe('read');
    expect(JSON.stringify(keys)).not.toContain(secret);
    await page.waitForSelector(`#api-keys tr[data-key-id="${created?.id}"]`);
    await shot('keys');
    // Done: the secret leaves the page; coming back does not show it again.
    await page.click('#new-key-done');
    expect(await page.locator('#new-key').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    await open('keys');
    expect(await page.content()).not.toContain(secret);
    // Revoke, confirmed with the keyboard (Tab from Cancel to the confirm button, Enter).
    await page.click(`#api-keys tr[data-key-id="${created?.id}"] button`);
    await page.waitForSelector('#confirm-dialog[open]');
    await page.keyboard.press('Tab');
    expect(await activeText()).toBe('Revoke key');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.textContent('#keys-status')).toBe('Revoked checkout-api.');
    await page.waitForSelector(`#api-keys tr[data-key-id="${created?.id}"]`, { state: 'detached' });
    expect((await api('GET', '/api/logs/types', undefined, secret)).status).toBe(401);
  });

  it('creates a user, changes their role and deletes them; the own account cannot be changed', async () => {
    await open('users');
    await page.fill('#user-name', 'nina');
    await page.fill('#user-password', 'short');
    await page.selectOption('#user-role', 'analyst');
    // The browser's own check (minlength) is bypassed to show the server's message for the field.
    await page.evaluate(
      () =>
        ((
          globalThis as unknown as { document: { getElementById(id: string): { noValidate: boolean } } }
        ).document.getElementById('user-form').noValidate = true),
    );
    await page.click('#user-form button[type=submit]');
    await expect.poll(() => page.textContent('#user-form-error')).toContain('password must be 12 to 256 characters');
    await page.fill('#user-password', 'a long password!');
    await page.click('#user-form button[type=submit]');
    await page.waitForSelector('#users tr[data-user="nina"]');
    expect(await page.inputValue('#users tr[data-user="nina"] select')).toBe('analyst');
    await page.selectOption('#users tr[data-user="nina"] select', 'viewer');
    await expect.poll(() => page.textContent('#users-status')).toBe('nina is now viewer.');
    const listed = await apiJson<{ users: { username: string; role: string }[] }>('/api/users');
    expect(listed.users.find((u) => u.username === 'nina')?.role).toBe('viewer');
    // The signed-in admin's own row: role locked, no delete.
    expect(await page.isDisabled('#users tr[data-user="admin"] select')).toBe(true);
    expect(await page.locator('#users tr[data-user="admin"] button').count()).toBe(0);
    await shot('users');
    await page.click('#users tr[data-user="nina"] button[aria-label="Delete user nina"]');
    await page.click('#confirm-dialog button:text-is("Delete user")');
    await page.waitForSelector('#users tr[data-user="nina"]', { state: 'detached' });
    expect((await apiJson<{ users: { username: string }[] }>('/api/users')).users.map((u) => u.username)).toEqual([
      'admin',
    ]);
  });

  it('saves a search whose name is markup, lists it as text, opens it and deletes it', async () => {
    await open('search?range=24h&level=error&q=gateway');
    await page.click('#save-search summary');
    await page.fill('#save-search-name', XSS_SAVED);
    await page.press('#save-search-name', 'Enter');
    await expect.poll(() => page.textContent('#save-search-status')).toBe(`Saved as ${XSS_SAVED}.`);
    const { searches } = await apiJson<{ searches: { id: string; name: string; params: Json }[] }>('/api/searches');
    // The page saves for the admin's session; the admin key has its own (empty) list.
    expect(searches).toEqual([]);
    await open('saved');
    await page.waitForSelector('#saved-searches');
    expect(await page.textContent('#saved-searches .saved-name')).toBe(XSS_SAVED);
    expect(await page.textContent('#saved-searches tbody tr')).toContain('“gateway”');
    expect(await page.textContent('#saved-searches tbody tr')).toContain('level = error');
    expect(await page.locator('#main b, #main script').count()).toBe(0);
    expect(await xssRan()).toBeUndefined();
    await shot('saved');
    await page.click('#saved-searches .saved-name');
    await expect.poll(() => page.url()).toContain('q=gateway');
    expect(page.url()).toContain('level=error');
    await settle();
    await open('saved');
    await page.click('#saved-searches button');
    await page.click('#confirm-dialog button:text-is("Delete")');
    await page.waitForSelector('#card-saved :text("No saved searches yet")');
  });

  it("shows the plugins the server runs (its notification channel), and each plugin's health", async () => {
    await open('plugins');
    await page.waitForSelector('#plugins');
    expect(await page.textContent('#plugins tbody')).toMatch(/ops-log.*notifier/);
    expect(await page.textContent('#dependencies')).toContain('logs');
    // The fraud rule plugins the server loaded from its settings: one running on the seeded sales, one refused.
    const running = await page.textContent('#plugins tr[data-plugin="seed-rule"]');
    expect(running).toMatch(/seed-rule 1\.0\.0\s*rule\s*fraud\s*ok\s*[1-9]/);
    const refused = await page.textContent('#plugins tr[data-plugin="./future-rule.mjs"]');
    expect(refused).toContain('refused at load');
    expect(refused).toContain('was written for plugin API 2; this Shoplog implements plugin API 1');
    expect(await page.textContent('[data-kpi=failing] .kpi-value')).toBe('1');
    expect(await page.textContent('[data-kpi=status] .kpi-value')).toBe('degraded');
    reportPlugins = true;
    await open('plugins');
    await page.waitForSelector('#plugins');
    expect(await page.locator('#plugins tbody tr').count()).toBe(3);
    const failing = await page.textContent('#plugins tr[data-plugin="shop-scorer"]');
    expect(failing).toContain('failing');
    expect(failing).toContain('<img src=x onerror="window.__xss=4">timeout');
    expect(failing).toContain('18 ms'); // 900 ms over 50 calls
    expect(await page.textContent('#plugins tr[data-plugin="slack-out"]')).toContain('circuit open');
    expect(await page.textContent('[data-kpi=plugins] .kpi-value')).toBe('3');
    expect(await page.textContent('[data-kpi=failing] .kpi-value')).toBe('1');
    expect(await page.textContent('[data-kpi=open] .kpi-value')).toBe('1');
    expect(await page.locator('#main img').count()).toBe(0);
    expect(await xssRan()).toBeUndefined();
    await shot('plugins');
  });

  it('fits a phone screen and follows the dark scheme on every management page', async () => {
    const cards: Record<string, string> = {
      alerts: '#card-rules',
      keys: '#card-keys',
      users: '#card-users',
      saved: '#card-saved',
      plugins: '#card-plugins',
    };
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [view, card] of Object.entries(cards)) {
      await open(view);
      await page.waitForSelector(card);
      const width = await page.evaluate(
        () =>
          (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement
            .scrollWidth,
      );
      expect(width, view).toBeLessThanOrEqual(390);
      await shot(`${view}-phone`);
    }
    await page.setViewportSize({ width: 1280, height: 860 });
    const background = () =>
      page.$eval(
        'body',
        (body) =>
          (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(
            body,
          ).backgroundColor,
      );
    const surface = (card: string) =>
      page.$eval(
        card,
        (el) =>
          (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el)
            .backgroundColor,
      );
    await page.emulateMedia({ colorScheme: 'dark' });
    for (const [view, card] of Object.entries(cards)) {
      await open(view);
      expect(await background(), view).toBe('rgb(15, 18, 23)');
      expect(await surface(card), view).toBe('rgb(23, 27, 34)');
      await shot(`${view}-dark`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await open('plugins');
    expect(await background()).toBe('rgb(245, 246, 248)');
    reportPlugins = false;
  });

  it('hides or explains what a viewer may not do', async () => {
    expect(
      (await api('POST', '/api/users', { username: 'vera', password: 'viewer password 123', role: 'viewer' })).status,
    ).toBe(201);
    const viewer = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC' });
    const vp = await viewer.newPage();
    vp.on('pageerror', (e) => problems.push(`viewer page error: ${e.message}`));
    await vp.goto(`${server.url}/#/keys`);
    await vp.fill('#login-username', 'vera');
    await vp.fill('#login-password', 'viewer password 123');
    await vp.click('button[type=submit]');
    await vp.waitForSelector('.state-error');
    expect(await vp.textContent('.state-error')).toContain('needs the admin role; you are signed in as viewer');
    for (const view of ['keys', 'users']) expect(await vp.locator(`.sidenav a[href^="#/${view}"]`).count()).toBe(0);
    for (const view of ['alerts', 'saved', 'plugins'])
      expect(await vp.locator(`.sidenav a[href^="#/${view}"]`).count()).toBe(1);
    await vp.goto(`${server.url}/#/users`);
    await vp.waitForSelector('.state-error');
    expect(await vp.locator('#user-form').count()).toBe(0);
    expect(
      (
        await api('POST', '/api/alerts/rules', {
          name: 'seen by a viewer',
          metric: 'count',
          window: '1h',
          threshold: 5,
        })
      ).status,
    ).toBe(201);
    await vp.goto(`${server.url}/#/alerts`);
    await vp.waitForSelector('#card-new-rule .role-note');
    expect(await vp.textContent('#card-new-rule')).toContain(
      'Creating, editing or deleting a rule needs the analyst or admin role',
    );
    expect(await vp.locator('#rule-form, #alerts-evaluate').count()).toBe(0);
    await vp.waitForSelector('#alert-rules');
    expect(await vp.locator('#alert-rules button').count()).toBe(0); // no Edit, Disable or Delete
    await vp.goto(`${server.url}/#/search?range=24h`);
    await vp.waitForSelector('#search-input');
    expect(await vp.locator('#save-search').count()).toBe(0);
    await viewer.close();
  });

  it('had no CSP violation and no page error', () => {
    expect(problems).toEqual([]);
  });
});
