// Shared setup of the dashboard's browser tests: where Chromium is, and a bundle that matches the sources.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';

/** The Chromium binary the tests drive. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Whether it is installed (the tests are skipped, with a printed reason, when not). */
export const hasChromium = existsSync(CHROMIUM);
/** The server package folder. */
export const pkg = resolve(import.meta.dirname, '../..');
/**
 * Where the screenshots are written: docs/screenshots (linked from the README) when `SHOPLOG_SCREENSHOTS=docs`,
 * otherwise a temporary folder, so a test run never dirties the working tree.
 */
export const shots =
  process.env.SHOPLOG_SCREENSHOTS === 'docs'
    ? resolve(pkg, '../../docs/screenshots')
    : join(tmpdir(), 'shoplog-screenshots');

const newest = (dir: string): number =>
  Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((d) =>
      d.isDirectory() ? newest(join(dir, d.name)) : statSync(join(dir, d.name)).mtimeMs,
    ),
  );

/** `pnpm test` builds first; a targeted run rebuilds the page only when its sources are newer than the bundle. */
export function ensureWebBuilt(): void {
  const built = join(pkg, 'dist/web/index.html');
  const sources = Math.max(
    newest(join(pkg, 'web/src')),
    statSync(join(pkg, 'web/index.html')).mtimeMs,
    statSync(join(pkg, 'web/build.mjs')).mtimeMs,
  );
  if (!existsSync(built) || statSync(built).mtimeMs < sources) {
    execFileSync(process.execPath, [join(pkg, 'web/build.mjs')], { stdio: 'inherit' });
  }
}

/** Headless Chromium with the project's standard flags. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A count as the page shows it (en-US grouping). */
export const fmt = (n: number): string => new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(n);

/**
 * Opens a page that records CSP violations, page errors and console errors into `problems`; `handledStatuses` are
 * the HTTP error statuses the page shows to the person (Chromium logs every failed request as a console error).
 */
export async function watchedPage(
  context: BrowserContext,
  problems: string[],
  handledStatuses: readonly number[],
): Promise<Page> {
  // Init scripts are injected by the browser driver, outside the page's CSP.
  await context.addInitScript(
    "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
  );
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  const handled = new RegExp(
    `^Failed to load resource: the server responded with a status of (${handledStatuses.join('|')}) `,
  );
  page.on('console', (m) => {
    if (m.type() === 'error' && !handled.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return page;
}

/** Signs in through the login form at `url` and waits for the overview. */
export async function signIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.fill('#login-username', username);
  await page.fill('#login-password', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('#overview-kpis');
}

/**
 * A new browser context as the page tests see the dashboard (a desktop window, en-US, UTC, light; `options` add to
 * it) and its first page, watched for problems as `watchedPage` does.
 */
export async function openPage(
  browser: Browser,
  problems: string[],
  handledStatuses: readonly number[],
  options: BrowserContextOptions = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 860 },
    locale: 'en-US',
    timezoneId: 'UTC',
    colorScheme: 'light',
    ...options,
  });
  return { context, page: await watchedPage(context, problems, handledStatuses) };
}

/** A JSON API call to `baseUrl()` with an API key: what the tests use to seed and check the server. */
export function keyedApi(baseUrl: () => string, key: string) {
  return (method: string, path: string, body?: unknown, withKey = key): Promise<Response> =>
    fetch(`${baseUrl()}${path}`, {
      method,
      headers: { authorization: `Bearer ${withKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
}
