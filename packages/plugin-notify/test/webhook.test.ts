import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createPluginInstance } from '@shoplog/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createWebhookNotifier,
  NotifyError,
  signWebhook,
  verifyWebhookSignature,
  webhookNotifier,
} from '@shoplog/plugin-notify';
import { note } from './notes.js';
import { startHttpReceiver, type Answer } from './receivers.js';

const SECRET = 'whsec_test_0123456789abcdef';

/** The receiver recipe exactly as the README documents it (extracted from the README, written to a module, imported). */
type Recipe = (secret: string, header: string | undefined, rawBody: string, toleranceSeconds?: number) => boolean;
let recipe: Recipe;
const dir = mkdtempSync(join(tmpdir(), 'shoplog-notify-recipe-'));
beforeAll(async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const block = /```js\n(\/\/ verify-shoplog-webhook\.mjs\n[\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('the README has no verify-shoplog-webhook.mjs recipe');
  const file = join(dir, 'verify-shoplog-webhook.mjs');
  writeFileSync(file, block);
  recipe = ((await import(pathToFileURL(file).href)) as { verifyShoplogWebhook: Recipe }).verifyShoplogWebhook;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('signed webhook', () => {
  it('POSTs the notification signed as documented, with the id as idempotency key', async () => {
    const receiver = await startHttpReceiver();
    try {
      const notifier = createWebhookNotifier({ url: `${receiver.url}/hooks/shoplog?x=1`, secret: SECRET });
      await notifier.notify(note());
      const got = await receiver.next();
      expect(got.path).toBe('/hooks/shoplog?x=1');
      expect(got.headers['idempotency-key']).toBe('alert:r1:1700000000000:firing');
      expect(got.headers['content-type']).toBe('application/json');
      expect(JSON.parse(got.body)).toEqual(note());
      const header = got.headers['shoplog-signature'] as string;
      expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      // The README's recipe accepts it; the package's helper agrees.
      expect(recipe(SECRET, header, got.body)).toBe(true);
      expect(verifyWebhookSignature({ secret: SECRET, header, body: got.body })).toBe(true);
    } finally {
      await receiver.stop();
    }
  });

  it('the recipe refuses a tampered body, another secret, a replay past the tolerance and a malformed header', () => {
    const body = JSON.stringify(note());
    const now = Math.floor(Date.now() / 1000);
    const header = signWebhook(SECRET, body, now);
    expect(recipe(SECRET, header, body)).toBe(true);
    expect(recipe(SECRET, header, body.replace('12.5', '1.25'))).toBe(false);
    expect(recipe('another-secret-0123456789', header, body)).toBe(false);
    const old = signWebhook(SECRET, body, now - 301);
    expect(recipe(SECRET, old, body)).toBe(false);
    expect(recipe(SECRET, old, body, 600)).toBe(true);
    // The timestamp is signed: moving it forward breaks the signature.
    expect(recipe(SECRET, old.replace(`t=${now - 301}`, `t=${now}`), body)).toBe(false);
    for (const bad of [
      undefined,
      '',
      'v1=abc',
      `t=${now}`,
      `t=${now},v1=`,
      `t=${now},v1=${'0'.repeat(64)}`,
      `t=abc,v1=${header.slice(-64)}`,
    ]) {
      expect(recipe(SECRET, bad, body)).toBe(false);
      expect(verifyWebhookSignature({ secret: SECRET, header: bad, body })).toBe(false);
    }
    // A second v1 (a rotated secret) is accepted when one of them matches.
    expect(recipe(SECRET, `${header},v1=${'f'.repeat(64)}`, body)).toBe(true);
  });

  it('fails without retry on 4xx, with retry and Retry-After on 429 and 5xx, and never follows a redirect', async () => {
    const answers: ReturnType<Answer>[] = [
      { status: 400, body: 'bad' },
      { status: 429, headers: { 'retry-after': '7' } },
      { status: 503 },
      { status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } },
    ];
    const receiver = await startHttpReceiver((_request, index) => answers[index] ?? { status: 200 });
    try {
      const notifier = createWebhookNotifier({ url: receiver.url, secret: SECRET });
      const errors: NotifyError[] = [];
      for (let i = 0; i < answers.length; i++)
        errors.push(
          await notifier.notify(note()).then(
            () => {
              throw new Error('delivered');
            },
            (e: NotifyError) => e,
          ),
        );
      expect(errors.map((e) => [e.status, e.retryable, e.retryAfterMs])).toEqual([
        [400, false, undefined],
        [429, true, 7000],
        [503, true, undefined],
        [302, false, undefined],
      ]);
      expect(errors[0]?.message).toBe(`webhook: 127.0.0.1:${receiver.port} answered 400: bad`);
      expect(errors[3]?.message).toMatch(/redirects are not followed/);
      expect(receiver.received).toHaveLength(4);
    } finally {
      await receiver.stop();
    }
  });

  it('a receiver that is down is a retryable error naming the host, never the secret or the URL path', async () => {
    const receiver = await startHttpReceiver();
    await receiver.stop();
    const notifier = createWebhookNotifier({ url: `${receiver.url}/hooks/${SECRET}?token=${SECRET}`, secret: SECRET });
    const error = (await notifier.notify(note()).catch((e: unknown) => e)) as NotifyError;
    expect(error).toBeInstanceOf(NotifyError);
    expect(error.retryable).toBe(true);
    expect(error.message).toBe(`webhook: cannot reach 127.0.0.1:${receiver.port}: ECONNREFUSED`);
    expect(error.message).not.toContain(SECRET);
  });

  it('refuses weak or missing options by name, and warns once about plain http off this machine', async () => {
    expect(() => createWebhookNotifier({ url: 'ftp://x', secret: 'short' })).toThrow(
      /createWebhookNotifier: invalid options: url: must be an http:\/\/ or https:\/\/ URL; secret: must be at least 16 characters/,
    );
    const warnings: string[] = [];
    await createPluginInstance(
      webhookNotifier,
      { url: 'http://hooks.example/x', secret: SECRET },
      { host: 'server', warn: (m) => warnings.push(m) },
    );
    await createPluginInstance(
      webhookNotifier,
      { url: 'http://127.0.0.1:9/x', secret: SECRET },
      { host: 'server', warn: (m) => warnings.push(m) },
    );
    expect(warnings).toEqual([
      'webhook channel: hooks.example is plain http: the notifications (signed, not encrypted) can be read on the way',
    ]);
    await expect(
      createPluginInstance(
        webhookNotifier,
        { url: 'https://x.example', secret: SECRET, extra: 1 },
        { host: 'server', warn: () => {} },
      ),
    ).rejects.toThrow(/plugin @shoplog\/plugin-notify\/webhook: invalid options/);
  });
});
