// An example third-party Shoplog plugin, as a shop or a vendor would publish it on npm: plain JavaScript, no build.
// A config file names it by package name: plugins: [{ module: 'shoplog-plugin-high-value', options: { minAmount: 500 } }],
// and its fraud rule by its export: fraudRules: [{ module: 'shoplog-plugin-high-value', export: 'rule', options: { minAmount: 500 } }].
import { definePlugin, defineRule, minorToDecimal, PLUGIN_API_VERSION } from '@shoplog/core';
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

/** The rule's options: parsed by Shoplog with this schema before `create` runs. */
const ruleOptions = z.strictObject({
  /** Orders of at least this amount (in major units of their currency) are scored. */
  minAmount: z.number().positive(),
  /** What the rule alone scores (0–100): the server's default thresholds send 67 and above to review, 90 and above to block. */
  contribution: z.number().min(0).max(100).default(70),
});

/**
 * A fraud rule plugin (the package's `rule` export): orders of at least `minAmount` score `contribution` with the
 * reason HIGH_VALUE_ORDER, so the server sends them to review. Named in the server's `fraudRules` setting.
 */
export const rule = definePlugin({
  name: 'shoplog-plugin-high-value/rule',
  version: '1.0.0',
  apiVersion: PLUGIN_API_VERSION,
  kind: 'rule',
  description: 'Sends orders of at least an amount to review (reason HIGH_VALUE_ORDER).',
  options: ruleOptions,
  create({ minAmount, contribution }) {
    return defineRule({
      code: 'HIGH_VALUE_ORDER',
      description: `orders of at least ${minAmount} in their currency`,
      params: z.strictObject({}),
      create: () => ({
        // The amount is in minor units of its currency; it may be missing or odd on hostile input: then no hit.
        evaluate(input) {
          const amount = Number(minorToDecimal(input.amount, input.currency));
          return amount >= minAmount
            ? { contribution, detail: `an order of ${amount} ${input.currency}, at least ${minAmount}` }
            : null;
        },
      }),
    });
  },
});
