import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryExporter, createShoplog, type PipelineErrorInfo } from '@shoplog/core';

// A plugin module as a shop writes it beside its code: a plain definition, no import of Shoplog needed.
const dir = mkdtempSync(join(tmpdir(), 'shoplog-client-plugins-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'stamp.mjs'),
  `export default { name: 'stamp', version: '1.0.0', apiVersion: 1, kind: 'processor',
  options: { safeParse: (o) => (typeof o?.label === 'string' ? { success: true, data: o } : { success: false, error: { issues: [{ path: ['label'], message: 'must be a string' }] } }) },
  create: ({ label }, context) => ({ name: 'stamp', process: (event) => ({ ...event, labels: { ...event.labels, stamp: label, host: context.host } }) }) };\n`,
);
const sale = {
  shop: {
    transaction: { id: 'tx-1', type: 'purchase' as const, status: 'completed' as const },
    amount: { value: '10.00', currency: 'EUR' },
  },
};

describe('createShoplog plugins by module specifier', () => {
  it('loads a path relative to pluginBaseUrl through the plugin loader, with its options, before the first event leaves', async () => {
    const exporter = createMemoryExporter();
    const log = createShoplog({
      service: 'shop',
      exporter,
      plugins: [{ module: './stamp.mjs', options: { label: 'from-path' } }],
      pluginBaseUrl: pathToFileURL(`${dir}/`).href,
    });
    log.transaction(sale);
    await log.flush();
    expect(exporter.events).toHaveLength(1);
    expect(exporter.events[0]?.labels).toEqual({ stamp: 'from-path', host: 'sdk' });
    expect(log.metrics().plugins.find((p) => p.name === 'stamp')).toMatchObject({ calls: 1, errors: 0 });
    await log.close();
  });

  it('uses the importer it is given (the app resolves package names) and mixes specifiers with instances', async () => {
    const exporter = createMemoryExporter();
    const asked: string[] = [];
    const log = createShoplog({
      service: 'shop',
      exporter,
      plugins: [
        '@acme/stamp',
        { name: 'after', process: (e) => ({ ...e, labels: { ...e.labels, after: String(e.labels?.['stamp']) } }) },
      ],
      importPlugin: (specifier) => {
        asked.push(specifier);
        return import(pathToFileURL(join(dir, 'stamp.mjs')).href).then((m: { default: object }) => ({
          default: { ...m.default, options: { safeParse: () => ({ success: true, data: { label: 'pkg' } }) } },
        }));
      },
    });
    log.transaction(sale);
    await log.flush();
    expect(asked).toEqual(['@acme/stamp']);
    expect(exporter.events[0]?.labels).toMatchObject({ stamp: 'pkg', after: 'pkg' });
    await log.close();
  });

  it('reports a plugin that cannot load, naming its module, and loses no event (the error policy applies)', async () => {
    const exporter = createMemoryExporter();
    const errors: [string, PipelineErrorInfo][] = [];
    const log = createShoplog({
      service: 'shop',
      exporter,
      plugins: ['./missing-plugin.mjs'],
      pluginBaseUrl: pathToFileURL(`${dir}/`).href,
      onError: (e, info) => errors.push([String(e), info]),
    });
    log.transaction(sale);
    await log.flush();
    expect(exporter.events).toHaveLength(1);
    expect(errors[0]?.[0]).toMatch(/cannot load plugin module "\.\/missing-plugin\.mjs"/);
    await log.close();
  });

  it('refuses bad options of a plugin named by specifier, naming the option, and a plugins entry that is neither', async () => {
    const errors: string[] = [];
    const log = createShoplog({
      service: 'shop',
      exporter: createMemoryExporter(),
      plugins: [{ module: './stamp.mjs', options: { label: 7 } }],
      pluginBaseUrl: pathToFileURL(`${dir}/`).href,
      onError: (e) => errors.push(String(e)),
    });
    log.transaction(sale);
    await log.flush();
    expect(errors[0]).toMatch(/plugin stamp.*label/);
    expect(() => createShoplog({ service: 'shop', exporter: createMemoryExporter(), plugins: [42 as never] })).toThrow(
      /plugins\[0\].*module specifier/,
    );
  });
});
