import { describe, expect, it } from 'vitest';
import { createDeliveryEngine } from '../src/index.js';

describe('createDeliveryEngine without a sink', () => {
  it('says that the engine takes a sink, and how to make one from a URL', () => {
    expect(() => createDeliveryEngine({ url: 'http://127.0.0.1:5001', apiKey: 'slk_x' } as never)).toThrow(
      'createDeliveryEngine: invalid options: sink: must be a Sink with a send() method, e.g. createHttpSink({ url, apiKey })',
    );
  });
});
