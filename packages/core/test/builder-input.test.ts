import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createEvent,
  createMemoryExporter,
  createShoplog,
  numberToDecimal,
  transaction,
  userBehavior,
  validate,
  type EventInput,
  type TransactionEvent,
} from '@shoplog/core';

const TX = {
  transaction: { id: 'o-1', type: 'purchase', status: 'completed' },
  amount: { currency: 'EUR', value: '99.99' },
} as const;

describe('builder input types: what validate() refuses does not compile', () => {
  it('refuses a wrong shop, an unknown top-level key and typos inside shop.*', () => {
    // Each line below type-checked while EventInput was an Omit over zod's index signature (`{ [k: string]: unknown }`).
    // @ts-expect-error shop must be the transaction's shop object
    expect(validate(transaction({ shop: 42, totally: 'wrong' })).ok).toBe(false);
    // @ts-expect-error an unknown top-level key (a typo of `message`)
    transaction({ shop: TX, mesage: 'paid' });
    // @ts-expect-error shop.* is strict: an unknown key
    expect(validate(transaction({ shop: { ...TX, ammount: { currency: 'EUR', value: '1.00' } } })).ok).toBe(false);
    const paid = { id: 'o-1', type: 'purchase', status: 'paid' } as const;
    // @ts-expect-error a transaction status that does not exist
    expect(validate(transaction({ shop: { ...TX, transaction: paid } })).ok).toBe(false);
    // @ts-expect-error the money's currency is required
    expect(validate(transaction({ shop: { ...TX, amount: { value: '1.00' } } })).ok).toBe(false);
    // @ts-expect-error shop is required on a transaction
    expect(validate(transaction({ message: 'no shop' })).ok).toBe(false);
    // @ts-expect-error a user behaviour action that does not exist
    expect(validate(userBehavior({ shop: { action: 'buy', session: { id: 's' } } })).ok).toBe(false);
  });

  it('keeps what is valid: named ECS fields, a number amount, a client verdict, extra ECS fields from a spread', () => {
    const extra = { host: { name: 'web-1' } };
    const event = transaction({
      shop: {
        ...TX,
        amount: { currency: 'EUR', value: 12.5 },
        fraud: { score: 3, risk_level: 'minimal', decision: 'allow', reasons: [], ruleset_version: 'v1' },
      },
      user: { id: 'u-1' },
      message: 'paid',
      ...extra,
    });
    expect(validate(event).ok).toBe(true);
    expectTypeOf(event).toEqualTypeOf<TransactionEvent>();
    expectTypeOf<EventInput<'transaction'>['shop']['amount']['value']>().toEqualTypeOf<string | number | undefined>();
    expectTypeOf<EventInput<'transaction'>>().not.toHaveProperty('totally');
  });
});

describe('money given as a number', () => {
  it('converts an exact number to its decimal string, without touching the caller’s objects', () => {
    const amount = { value: 99.99, currency: 'EUR' };
    const event = transaction({ shop: { ...TX, amount } });
    expect(event.shop.amount).toEqual({ value: '99.99', currency: 'EUR' });
    expect(amount.value).toBe(99.99);
    expect(validate(event)).toMatchObject({
      ok: true,
      event: { shop: { amount: { value: '99.99', currency: 'EUR' } } },
    });
    const cart = userBehavior({
      shop: {
        action: 'add_to_cart',
        session: { id: 's' },
        cart: { value: { currency: 'JPY', value: 1200 } },
        product: { id: 'p', price: { currency: 'KWD', value: -1.125 } },
      },
    });
    expect(cart.shop.cart?.value).toEqual({ currency: 'JPY', value: '1200' });
    expect(cart.shop.product?.price).toEqual({ currency: 'KWD', value: '-1.125' });
    expect(validate(cart).ok).toBe(true);
    // The minor units must still agree with the converted value.
    expect(validate(transaction({ shop: { ...TX, amount: { currency: 'EUR', value: 10, minor: 1000 } } })).ok).toBe(
      true,
    );
    expect(validate(transaction({ shop: { ...TX, amount: { currency: 'EUR', value: 10, minor: 100 } } })).ok).toBe(
      false,
    );
  });

  it('never rounds: a number that is not one exact amount is refused by validation, naming the field', () => {
    for (const [value, currency] of [
      [0.1 + 0.2, 'EUR'], // 0.30000000000000004
      [99.999, 'EUR'], // three decimals in a two-decimal currency
      [12.5, 'JPY'], // JPY has no minor unit
      [1e21, 'USD'],
      [123456789012345.6, 'USD'], // 16 significant digits
      [Number.NaN, 'EUR'],
      [Number.POSITIVE_INFINITY, 'EUR'],
    ] as const) {
      const event = createEvent('transaction', { shop: { ...TX, amount: { currency, value } } });
      expect(event.shop.amount.value).toBe(value);
      const result = validate(event);
      expect(result.ok).toBe(false);
      if (!result.ok)
        expect(result.issues).toEqual([
          { path: 'shop.amount.value', message: expect.stringMatching(/decimal string/) },
        ]);
    }
  });

  it('numberToDecimal gives the shortest exact text or undefined', () => {
    expect(numberToDecimal(99.99, 'EUR')).toBe('99.99');
    expect(numberToDecimal(5, 'EUR')).toBe('5');
    expect(numberToDecimal(-0, 'EUR')).toBe('0');
    expect(numberToDecimal(1.005, 'KWD')).toBe('1.005');
    expect(numberToDecimal(1.005, 'EUR')).toBeUndefined();
    expect(numberToDecimal(999_999_999_999_999, 'JPY')).toBe('999999999999999');
    expect(numberToDecimal(9_999_999_999_999.99, 'EUR')).toBe('9999999999999.99'); // 15 significant digits
    expect(numberToDecimal(Number('99999999999999.99'), 'EUR')).toBeUndefined(); // 16: a double does not keep them
  });

  it('the client reports a refused amount through onError instead of losing the event silently', async () => {
    const exporter = createMemoryExporter();
    const errors: string[] = [];
    const log = createShoplog({ service: 'shop', exporter, onError: (error) => errors.push((error as Error).message) });
    log.transaction({ shop: { ...TX, amount: { currency: 'EUR', value: 19.9 } } });
    log.transaction({ shop: { ...TX, amount: { currency: 'EUR', value: 0.1 + 0.2 } } });
    await log.flush();
    expect(exporter.events.map((e) => (e as TransactionEvent).shop.amount.value)).toEqual(['19.9']);
    expect(errors).toEqual([expect.stringContaining('shop.amount.value')]);
    expect(log.metrics().dropped.invalid).toBe(1);
  });
});
