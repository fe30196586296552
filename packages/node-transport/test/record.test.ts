import { transaction } from '@shoplog/core';
import { describe, expect, it } from 'vitest';
import { mapRecord, toLevel } from '../src/index.js';

describe('mapRecord', () => {
  it('keeps a typed event as is, minus the logger fields, at the level it was logged at', () => {
    const ev = transaction({
      shop: {
        transaction: { id: 't1', type: 'purchase', status: 'completed' },
        amount: { minor: 100, currency: 'EUR' },
      },
    });
    const out = mapRecord({ level: 40, time: 1, pid: 2, hostname: 'h', service: 'api', ...ev });
    expect(out).toEqual({ ...ev, log: { ...ev.log, level: 'warn' }, service: { name: 'api' } });
  });

  it('maps pino and winston levels', () => {
    expect([10, 20, 30, 40, 50, 60, 35].map(toLevel)).toEqual([
      'trace',
      'debug',
      'info',
      'warn',
      'error',
      'fatal',
      'info',
    ]);
    expect(['silly', 'verbose', 'http', 'warning', 'crit', 'nope'].map(toLevel)).toEqual([
      'trace',
      'debug',
      'info',
      'warn',
      'fatal',
      'info',
    ]);
  });

  it('turns a 5xx pino-http line into an HTTP error event, and a plain info line into a log event', () => {
    const out = mapRecord({
      level: 30,
      msg: 'request errored',
      req: { method: 'POST', url: '/pay' },
      res: { statusCode: 502 },
      responseTime: 3,
    });
    expect(out).toMatchObject({
      event: { dataset: 'shoplog.error' },
      error: { message: 'request errored' },
      shop: { error: { kind: 'http' } },
      http: { response: { status_code: 502 } },
    });
    expect(mapRecord({ level: 30, msg: 'hello', userId: 'u1' })).toMatchObject({
      event: { dataset: 'shoplog.log' },
      log: { level: 'info' },
      message: 'hello',
      labels: { userId: 'u1' },
    });
  });
});
