import { describe, expect, it } from 'vitest';
import {
  createRedactor,
  isSensitiveKey,
  luhnValid,
  maskCardNumbers,
  redactUrl,
  transaction,
  uuidv7,
  validate,
} from '@shoplog/core';

const R = '[REDACTED]';

describe('card numbers', () => {
  it('never masks digits inside UUIDs (event ids are the idempotency key)', () => {
    // All-digit groups are where a naive matcher finds 16 Luhn-valid digits across a dash.
    expect(maskCardNumbers('01953452-1234-7123-8123-424242424242')).toBe('01953452-1234-7123-8123-424242424242');
    expect(maskCardNumbers('id 7123-4242424242424242')).toBe('id 7123-4242424242424242');
    let changed = 0;
    for (let i = 0; i < 50_000; i++) {
      const id = uuidv7();
      if (maskCardNumbers(`order ${id} paid`) !== `order ${id} paid`) changed++;
    }
    expect(changed).toBe(0);
  });

  it('still masks cards next to punctuation and words', () => {
    expect(maskCardNumbers('card:4242424242424242.')).toBe('card:************4242.');
    expect(maskCardNumbers('(4242-4242-4242-4242)')).toBe('(****-****-****-4242)');
  });

  it('masks Luhn-valid card numbers in free text, keeping the last four digits and the grouping', () => {
    expect(maskCardNumbers('charge failed for card 4242424242424242 (visa)')).toBe(
      'charge failed for card ************4242 (visa)',
    );
    expect(maskCardNumbers('pan=4111 1111 1111 1111;')).toBe('pan=**** **** **** 1111;');
    expect(maskCardNumbers('amex 3782-822463-10005 declined')).toBe('amex ****-******-*0005 declined');
    expect(maskCardNumbers('mc 5555555555554444, visa 4012888888881881')).toBe(
      'mc ************4444, visa ************1881',
    );
  });

  it('leaves Luhn-invalid digit runs (order ids, phone numbers) and timestamps alone', () => {
    expect(luhnValid('4242424242424241')).toBe(false);
    for (const text of [
      'order 4242424242424241 shipped',
      'ORD-2026-000000123456 created',
      'ts=1764151200003 (ms)', // 13 digits, Luhn-valid, but a Unix-ms timestamp: starts with 1
      'ref 0000000000000000',
      'call +33 6 12 34 56 78',
      'short 4242 4242',
    ]) {
      expect(maskCardNumbers(text)).toBe(text);
    }
    expect(luhnValid('1764151200003')).toBe(true);
  });

  it('finds a card number grouped next to other digits (expiry after the number)', () => {
    expect(maskCardNumbers('card 4242 4242 4242 4242 12 27 cvc')).toBe('card **** **** **** 4242 12 27 cvc');
    expect(maskCardNumbers('2 4242 4242 4242 4242')).toBe('2 **** **** **** 4242');
  });
});

describe('createRedactor', () => {
  const redactor = createRedactor();

  it('redacts authorization, cookie and set-cookie headers and keeps the others', () => {
    const event = {
      http: {
        request: {
          method: 'POST',
          headers: {
            authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.sig',
            cookie: 'connect.sid=s%3Aabc; theme=dark',
            'x-api-key': 'sk_live_51H8',
            'x-csrf-token': 'e3b0c442',
            'content-type': 'application/json',
            'user-agent': 'Mozilla/5.0',
          },
        },
        response: {
          status_code: 200,
          headers: { 'set-cookie': ['sid=1; HttpOnly', 'cart=2'], 'content-length': '42' },
        },
      },
    };
    const out = redactor.redact(event);
    expect(out.http.request.headers).toEqual({
      authorization: R,
      cookie: R,
      'x-api-key': R,
      'x-csrf-token': R,
      'content-type': 'application/json',
      'user-agent': 'Mozilla/5.0',
    });
    expect(out.http.response.headers).toEqual({ 'set-cookie': R, 'content-length': '42' });
  });

  it('redacts secret keys in nested bodies and card numbers in strings, without touching the caller object', () => {
    const body = {
      customer: {
        email: 'ana@example.com',
        password: 'hunter2',
        profile: { api_key: 'k-1', apiKey: 'k-2', refresh_token: 't' },
      },
      payment: { card_number: '4242 4242 4242 4242', cvc: '123', method: 'credit_card' },
      items: [
        { sku: 'SKU-1', note: 'gift for card 5555555555554444' },
        { sku: 'SKU-2', secret: { nested: true } },
      ],
      order_id: '4242424242424241',
      session: 'abc',
    };
    const snapshot = structuredClone(body);
    const out = redactor.redact(body);
    expect(body).toEqual(snapshot);
    expect(out).toEqual({
      customer: { email: 'ana@example.com', password: R, profile: { api_key: R, apiKey: R, refresh_token: R } },
      payment: { card_number: R, cvc: R, method: 'credit_card' },
      items: [
        { sku: 'SKU-1', note: 'gift for card ************4444' },
        { sku: 'SKU-2', secret: R },
      ],
      order_id: '4242424242424241',
      session: R,
    });
    // Unchanged subtrees are shared, not copied.
    expect(out.items).not.toBe(body.items);
    const clean = { a: { b: 'nothing here' } };
    expect(redactor.redact(clean)).toBe(clean);
  });

  it('redacts under an own "__proto__" key from JSON.parse too', () => {
    const out = redactor.redact(
      JSON.parse('{"__proto__": {"password": "hunter2", "note": "4242424242424242"}}') as object,
    );
    expect(JSON.stringify(out)).toBe('{"__proto__":{"password":"[REDACTED]","note":"************4242"}}');
  });

  it('masks a card number stored as a number', () => {
    expect(redactor.redact({ ref: 4242424242424242, qty: 3 })).toEqual({ ref: '************4242', qty: 3 });
  });

  it('keeps the schema fields that only look sensitive (shop.session, shop.payment.card) and the event valid', () => {
    const ev = transaction({
      message: 'paid with 4000 0566 5566 5556',
      shop: {
        transaction: { id: 'tx-1', type: 'purchase', status: 'completed' },
        amount: { value: '10.00', currency: 'EUR' },
        payment: { method: 'credit_card', card: { last4: '5556', brand: 'visa', bin: '400056' } },
        session: { id: 'sess-9' },
      },
    });
    const out = redactor.redact(ev);
    expect(out.message).toBe('paid with **** **** **** 5556');
    expect(out.shop.payment?.card).toEqual({ last4: '5556', brand: 'visa', bin: '400056' });
    expect(out.shop.session).toEqual({ id: 'sess-9' });
    expect(validate(out).ok).toBe(true);
  });

  it('takes extra paths with wildcards, extra keys, an opt-out per field and a replacement text', () => {
    const custom = createRedactor({
      paths: ['labels.customer_note', 'http.request.body.content.*.iban_like'],
      keys: ['dob', /^x-internal-/i],
      allow: ['labels.session_hint', 'meta.card'],
      replacement: '***',
    });
    const out = custom.redact({
      labels: { customer_note: 'call me', session_hint: 'warm', other: 'x' },
      http: { request: { body: { content: { a: { iban_like: 'FR76…', ok: 1 }, b: { iban_like: 'DE89…' } } } } },
      user: { dob: '1990-01-01', 'X-Internal-Trace': 'abc' },
      meta: { card: { number: '4242424242424242' } },
    });
    expect(out).toEqual({
      labels: { customer_note: '***', session_hint: 'warm', other: 'x' },
      http: { request: { body: { content: { a: { iban_like: '***', ok: 1 }, b: { iban_like: '***' } } } } },
      user: { dob: '***', 'X-Internal-Trace': '***' },
      meta: { card: { number: '4242424242424242' } },
    });
  });

  it('can redact in place when asked, and turn card masking off', () => {
    const obj = { token: 't', text: '4242424242424242' };
    const same = createRedactor({ mutate: true, cardNumbers: false }).redact(obj);
    expect(same).toBe(obj);
    expect(obj).toEqual({ token: R, text: '4242424242424242' });
  });

  it('rejects bad options with one error naming the option', () => {
    expect(() => createRedactor({ paths: 'a.b' } as never)).toThrow(/createRedactor: invalid options: paths/);
    expect(() => createRedactor({ replace: 'x' } as never)).toThrow(/createRedactor/);
  });

  it('exposes the default deny-list for header and query-parameter names', () => {
    for (const k of [
      'Authorization',
      'cookie',
      'Set-Cookie',
      'password',
      'passwd',
      'pwd',
      'client_secret',
      'access_token',
      'api-key',
      'sessionid',
      'credit_card',
      'connect.sid',
    ]) {
      expect(isSensitiveKey(k), k).toBe(true);
    }
    for (const k of ['content-type', 'user-agent', 'author', 'order_id', 'amount', 'cart', 'id']) {
      expect(isSensitiveKey(k), k).toBe(false);
    }
  });
});

describe('URLs and query strings', () => {
  it('masks passwords in URLs and the values of sensitive query parameters', () => {
    expect(redactUrl('https://shop:s3cr3t@db.example.com:5432/orders?id=7', isSensitiveKey)).toBe(
      'https://shop:[REDACTED]@db.example.com:5432/orders?id=7',
    );
    expect(redactUrl('/api/checkout?access_token=abc&q=red+shoes&api_key=k#top', isSensitiveKey)).toBe(
      '/api/checkout?access_token=[REDACTED]&q=red+shoes&api_key=[REDACTED]#top',
    );
    expect(redactUrl('session_id=abc&page=2', isSensitiveKey)).toBe('session_id=[REDACTED]&page=2');
    const clean = '/products?page=2&sort=price';
    expect(redactUrl(clean, isSensitiveKey)).toBe(clean);
  });

  it('applies to the URL fields of an event, card numbers included', () => {
    const out = createRedactor().redact({
      url: {
        path: '/pay',
        query: 'token=abc&order=42',
        full: 'https://a:b@shop.example/pay?password=x&pan=4242424242424242&ok=1',
      },
      http: { request: { referrer: 'https://shop.example/cart?sid=1&coupon=BF' } },
    });
    expect(out.url).toEqual({
      path: '/pay',
      query: 'token=[REDACTED]&order=42',
      full: 'https://a:[REDACTED]@shop.example/pay?password=[REDACTED]&pan=[REDACTED]&ok=1',
    });
    expect(out.http.request.referrer).toBe('https://shop.example/cart?sid=1&coupon=BF');
    expect(createRedactor().redactUrl('/x?note=4242424242424242')).toBe('/x?note=************4242');
  });
});
