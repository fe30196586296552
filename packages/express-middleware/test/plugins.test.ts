import { describe, expect, it } from 'vitest';
import type { ShoplogEvent, ShoplogPlugin } from '@shoplog/core';
import { shoplog, type ShoplogMiddleware } from '../src/index.js';
import { EXPRESS_VERSIONS, listen, send, sleep } from './harness.js';

/** A `LineExporter` (core) like the delivery engine: `enqueueLine` is what the middleware's direct line writer uses. */
function engineLike() {
  const events: ShoplogEvent[] = [];
  const lines: string[] = [];
  return {
    events,
    lines,
    enqueue: (event: ShoplogEvent) => (events.push(event), true),
    enqueueLine: (line: string) => (lines.push(line), true),
  };
}
/** Runs `paths` through an app of `express` with `middleware`, then lets the events settle. */
async function requests(express: (typeof EXPRESS_VERSIONS)[number][1], middleware: ShoplogMiddleware, paths: string[]) {
  const app = express();
  app.use(middleware);
  app.get('/ok', (_req, res) => void res.send('ok'));
  const running = await listen(app);
  try {
    for (const path of paths) await send(running.port, path);
    await sleep(20);
  } finally {
    await running.close();
  }
}
const stamp: ShoplogPlugin = { name: 'stamp', process: (e) => ({ ...e, labels: { ...e.labels, stamped: 'yes' } }) };

describe.each(EXPRESS_VERSIONS)('plugins on the middleware (%s)', (_name, express) => {
  it('runs a configured plugin on every event, so the direct line writer is not taken', async () => {
    const sink = engineLike();
    const middleware = shoplog({ exporter: sink, plugins: [stamp] });
    await requests(express, middleware, ['/ok', '/missing']);
    await middleware.flush();
    expect(sink.lines).toEqual([]);
    expect(sink.events.length).toBeGreaterThanOrEqual(2);
    for (const event of sink.events) expect(event.labels?.stamped).toBe('yes');
    expect(middleware.metrics().plugins.find((p) => p.name === 'stamp')?.calls).toBe(sink.events.length);
    await middleware.close();
  });

  it('without plugins the direct line writer is still taken', async () => {
    const sink = engineLike();
    const middleware = shoplog({ exporter: sink });
    await requests(express, middleware, ['/ok']);
    expect(sink.lines).toHaveLength(1);
    expect(middleware.metrics().plugins).toEqual([]);
  });

  it('a failing plugin goes to onError and the request events still reach the exporter', async () => {
    const sink = engineLike();
    const errors: unknown[] = [];
    const broken: ShoplogPlugin = {
      name: 'broken',
      process: () => {
        throw new Error('nope');
      },
    };
    const middleware = shoplog({ exporter: sink, plugins: [broken], onError: (e) => errors.push(e) });
    await requests(express, middleware, ['/ok']);
    expect(sink.events).toHaveLength(1);
    expect(errors).toEqual([expect.objectContaining({ message: 'nope' })]);
  });

  it('refuses a plugin entry that is neither a processor nor a specifier, naming it', () => {
    expect(() => shoplog({ exporter: engineLike(), plugins: [42 as never] })).toThrow(/plugins\[0\]/);
  });
});
