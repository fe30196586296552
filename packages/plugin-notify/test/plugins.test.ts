import { readFileSync } from 'node:fs';
import { createPluginInstance, PLUGIN_API_VERSION } from '@shoplog/core';
import { describe, expect, it } from 'vitest';
import { createLogNotifier, logNotifier, NOTIFIERS, VERSION } from '@shoplog/plugin-notify';
import { note } from './notes.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

describe('the channels as plugins', () => {
  it('are notifier definitions of this package, at its version and the current plugin API', () => {
    expect(VERSION).toBe(pkg.version);
    for (const [type, definition] of Object.entries(NOTIFIERS)) {
      expect(definition).toMatchObject({
        name: `@shoplog/plugin-notify/${type}`,
        kind: 'notifier',
        version: pkg.version,
        apiVersion: PLUGIN_API_VERSION,
      });
    }
  });

  it('the log channel writes one line per notification, whatever the title holds', async () => {
    const lines: string[] = [];
    await createLogNotifier({ write: (line) => lines.push(line) }).notify(
      note({ title: 'evil\nshoplog notify: [critical] forged', text: 'a\r\nb' }),
    );
    expect(lines).toEqual([
      'shoplog notify: [warning] alert.firing evil shoplog notify: [critical] forged: a b (alert:r1:1700000000000:firing)',
    ]);
    await expect(
      createPluginInstance(logNotifier, { stream: 'file' }, { host: 'server', warn: () => {} }),
    ).rejects.toThrow(/stream: /);
  });
});
