// An example third-party Shoplog plugin, as a shop or a vendor would publish it on npm: plain JavaScript, no build.
// A config file names it by package name: plugins: [{ module: 'shoplog-plugin-high-value', options: { minAmount: 500 } }].
import { definePlugin, PLUGIN_API_VERSION } from '@shoplog/core';
import { z } from 'zod';

/** The plugin's options: parsed by Shoplog with this schema before `create` runs. */
const options = z.strictObject({
  /** Transactions of at least this amount (in major units of their currency) get `tag`. */
  minAmount: z.number().positive(),
  /** The tag added to such transactions. */
  tag: z.string().min(1).max(64).default('high-value'),
});

/** Tags transactions of at least `minAmount` and labels every event with the host that ran the plugin (`labels.high_value_<host>`). */
export default definePlugin({
  name: 'shoplog-plugin-high-value',
  version: '1.0.0',
  apiVersion: PLUGIN_API_VERSION,
  kind: 'processor',
  description: 'Tags transactions above an amount; labels each event with where the plugin ran.',
  options,
  // It returns a changed copy of the event (never the same object changed in place), synchronously.
  capabilities: { mutates: true, async: false },
  create({ minAmount, tag }, context) {
    return {
      name: 'shoplog-plugin-high-value',
      process(event) {
        const labels = { ...event.labels, [`high_value_${context.host}`]: 'yes' };
        const amount = event.event.dataset === 'shoplog.transaction' ? Number(event.shop?.amount?.value) : Number.NaN;
        if (!(amount >= minAmount)) return { ...event, labels };
        return { ...event, labels, tags: [...(event.tags ?? []), tag] };
      },
    };
  },
});
