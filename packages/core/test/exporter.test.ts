import { describe, expect, it } from 'vitest';
import { createMemoryExporter, createPipeline, createShoplog, exporterPaths, type ShoplogEvent } from '@shoplog/core';

// exporterPaths is the one place that reads an exporter's methods: which path each front end takes to it.

const event = { event: { id: 'e-1', dataset: 'shoplog.app' } } as unknown as ShoplogEvent;

describe('exporterPaths', () => {
  it('sends to an exporter plugin with process(), with no fast line', () => {
    const exporter = createMemoryExporter();
    const paths = exporterPaths(exporter);
    expect(paths?.sendLine).toBeUndefined();
    expect(paths?.sendTrusted).toBeUndefined();
    paths?.send(event);
    expect(exporter.events).toEqual([event]);
  });

  it("takes a core pipeline's trusted path, directly or through a client", () => {
    const pipeline = createPipeline();
    expect(exporterPaths(pipeline)?.sendTrusted).toBeTypeOf('function');
    const client = createShoplog({ service: 'shop', exporter: createMemoryExporter() });
    const paths = exporterPaths(client);
    expect(paths?.sendTrusted).toBeTypeOf('function');
    expect(paths?.sendLine).toBeUndefined();
  });

  it('takes the fast line of a LineExporter (enqueue + enqueueLine), bound to it, and only of one', () => {
    const queued: unknown[] = [];
    const engine = {
      enqueue(e: ShoplogEvent) {
        return queued.push(['event', e, this === engine]) > 0;
      },
      enqueueLine(line: string, id: string, dataset: string) {
        return queued.push(['line', line, id, dataset, this === engine]) > 0;
      },
    };
    const paths = exporterPaths(engine);
    paths?.send(event);
    paths?.sendLine?.('{}', 'e-1', 'shoplog.app');
    expect(queued).toEqual([
      ['event', event, true],
      ['line', '{}', 'e-1', 'shoplog.app', true],
    ]);
    // A queue without enqueueLine gets event objects; an exporter with process() never gets lines.
    expect(exporterPaths({ enqueue: () => true })?.sendLine).toBeUndefined();
    expect(exporterPaths({ process: () => null, enqueueLine: () => true })?.sendLine).toBeUndefined();
  });

  it('is undefined for anything that is not an exporter', () => {
    for (const value of [undefined, null, 42, 'x', {}, { pipeline: {} }, { enqueueLine: () => true }])
      expect(exporterPaths(value)).toBeUndefined();
  });
});
