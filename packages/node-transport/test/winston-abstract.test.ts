// Runs the `abstract-winston-transport` suite (mocha-style, `done` callbacks) on vitest.
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeEach, describe, it } from 'vitest';
import { ShoplogWinstonTransport } from '../src/winston.js';
import { tempDir } from './fixtures/events.js';

type Done = (err?: unknown) => void;
type Fn = (this: unknown, done: Done) => unknown;

// Mocha passes `done` when a test declares it; vitest wants a promise.
const promisify = (fn: Fn) => () =>
  fn.length > 0
    ? new Promise<void>((resolve, reject) => fn.call({}, (err?: unknown) => (err ? reject(err) : resolve())))
    : fn.call({}, () => undefined);

const g = globalThis as Record<string, unknown>;
g.describe = (name: string, body: () => void) => describe(name, body);
g.it = (name: string, fn: Fn) => it(name, promisify(fn) as () => Promise<void>);
g.beforeEach = (fn: Fn) => beforeEach(promisify(fn) as () => Promise<void>);
g.afterEach = (fn: Fn) => afterEach(promisify(fn) as () => Promise<void>);
g.after = (fn: Fn) => afterAll(promisify(fn) as () => Promise<void>);

const instances: ShoplogWinstonTransport[] = [];
class Tracked extends ShoplogWinstonTransport {
  constructor(opts: ConstructorParameters<typeof ShoplogWinstonTransport>[0]) {
    super(opts);
    instances.push(this);
  }
}

const require = createRequire(import.meta.url);
const abstractSuite = require('abstract-winston-transport') as (opts: unknown) => void;
abstractSuite({
  name: 'ShoplogWinstonTransport',
  Transport: Tracked,
  // Nothing listens there: events are spooled when the transports close.
  construct: () => ({ url: 'http://127.0.0.1:9', spoolDir: tempDir(), exitHooks: false, closeDeadlineMs: 50 }),
  afterEach: (_opts: unknown, done: Done) => {
    const closing = instances.splice(0).map(
      (t) =>
        new Promise<void>((resolve) => {
          t.once('finish', () => resolve());
          t.end();
        }),
    );
    Promise.all(closing).then(() => done(), done);
  },
});
