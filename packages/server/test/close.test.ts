/**
 * Robustness of the HTTP layer: a store that rejects the API-key "last used" write neither fails the request nor
 * crashes the process, and `close()` does not wait for an idle keep-alive or a pre-connected socket.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetaStore } from '../src/index.js';
import { createSqliteMetaStore } from '../src/index.js';
import { startTestServer, type TestServer } from './helpers.js';

describe('server robustness', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('serves key-authenticated requests when recording the key use fails, without an unhandled rejection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-meta-'));
    const real = createSqliteMetaStore({ path: join(dir, 'meta.db') });
    // The real store, except that its write of "last used" fails as a backend losing its primary would.
    const meta = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === 'touchApiKey') return () => Promise.reject(new Error('primary stepped down'));
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as MetaStore;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      t = await startTestServer({ stores: { meta } });
      for (let i = 0; i < 3; i++) expect((await t.call('/api/logs/types', { key: t.keys.read })).status).toBe(200);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await t?.close();
      t = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('closes while a client holds an idle keep-alive socket and a socket that never sent a request', async () => {
    t = await startTestServer();
    const { port } = new URL(t.url);
    const agent = new Agent({ keepAlive: true });
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/health', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    const preconnected = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => preconnected.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => preconnected.once('close', () => resolve()));
    // Without forced closing this waits for Node's headers timeout (a minute), past the test's timeout.
    await t.close();
    t = undefined;
    await closed;
    agent.destroy();
  });
});
