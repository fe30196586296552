import { OptionsError } from '@shoplog/core';
import { describe, expect, it } from 'vitest';
import { createRedisCache } from '../src/adapters/redis/index.js';
import { createSqliteLogStore, loadConfig, OptionsError as ServerOptionsError } from '../src/index.js';

// The server, its stores and the Redis adapters parse options with core's parseOptions: one error type, one message
// shape (`<factory>: invalid options: <path>: <message>; …`), every bad option named.
describe('option errors', () => {
  it('are the OptionsError of @shoplog/core, re-exported by the server', () => {
    expect(ServerOptionsError).toBe(OptionsError);
  });

  it('name the factory and every bad option, for the store and the Redis adapters', () => {
    expect(() => createSqliteLogStore({ path: 42 } as never)).toThrow(OptionsError);
    expect(() => createSqliteLogStore({ path: 42 } as never)).toThrow(/^createSqliteLogStore: invalid options: path: /);
    const redis = () => createRedisCache({ url: 'redis://127.0.0.1:1', keyPrefix: 7, onError: 'log' } as never);
    expect(redis).toThrow(OptionsError);
    expect(redis).toThrow(/^createRedisCache: invalid options: .*keyPrefix: .*; /);
  });

  it('from the settings carry the issues and the environment variable to fix', () => {
    let thrown: unknown;
    try {
      loadConfig({ SHOPLOG_PORT: 'http', SHOPLOG_RETENTION_DAYS: '-1' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(OptionsError);
    expect((thrown as OptionsError).issues.map((i) => i.path).sort()).toEqual(['port', 'retentionDays']);
    expect((thrown as Error).message).toMatch(
      /^settings: invalid options: .*port \(SHOPLOG_PORT\): .*retentionDays \(SHOPLOG_RETENTION_DAYS\)/,
    );
  });
});
