import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createPluginInstance, definePlugin, PLUGIN_API_VERSION, type ShoplogEvent } from '@shoplog/core';

const context = { host: 'sdk' as const, warn: () => {} };

const tagger = definePlugin({
  name: 'example-tagger',
  version: '1.0.0',
  apiVersion: PLUGIN_API_VERSION,
  kind: 'processor',
  options: z.object({ tag: z.string().min(1) }),
  create: ({ tag }) => ({
    name: 'example-tagger',
    process: (event: ShoplogEvent) => ({ ...event, tags: [...(event.tags ?? []), tag] }),
  }),
});

describe('plugin definitions', () => {
  it('creates an instance from parsed options', async () => {
    const processor = await createPluginInstance(tagger, { tag: 'eu' }, context);
    expect(processor.name).toBe('example-tagger');
  });

  it('names the plugin and the option when an option is wrong', async () => {
    await expect(createPluginInstance(tagger, { tag: 42 }, context)).rejects.toThrow(
      /plugin example-tagger: invalid options: tag/,
    );
  });

  it('refuses a plugin written for another API version', async () => {
    const future = definePlugin({ ...tagger, apiVersion: PLUGIN_API_VERSION + 1 });
    await expect(createPluginInstance(future, { tag: 'x' }, context)).rejects.toThrow(
      /written for plugin API 2; this Shoplog implements 1/,
    );
  });

  it('refuses malformed metadata where the plugin is defined', () => {
    expect(() => definePlugin({ ...tagger, version: 'latest' })).toThrow(/version must be semver/);
    expect(() => definePlugin({ ...tagger, kind: 'magic' as 'processor' })).toThrow(/kind 'magic'/);
  });
});
