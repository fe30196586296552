import { describe, expect, it } from 'vitest';
import { createEvent, eventJsonSchema, transaction, validate, performance, msToNs, uuidv7 } from '@shoplog/core';

const service = { name: 'checkout-api', version: '1.4.2', environment: 'production' };

describe('builders + validate', () => {
  it('builds a valid transaction with a time-ordered id and service fields', () => {
    const ev = transaction(
      {
        message: 'payment captured',
        user: { id: 'u-42' },
        shop: {
          transaction: { id: 'tx-1', type: 'purchase', status: 'completed' },
          amount: { value: '99.99', currency: 'EUR' },
          payment: { method: 'credit_card', card: { last4: '4242', issuer_country: 'FR' } },
        },
      },
      { service },
    );
    const res = validate(ev);
    expect(res.ok).toBe(true);
    expect(ev.event.dataset).toBe('shoplog.transaction');
    expect(ev.service).toEqual(service);
    expect(ev.log.level).toBe('info');
  });

  it('reports each wrong field with its path', () => {
    const ev = transaction({
      shop: {
        transaction: { id: 'tx-1', type: 'purchase', status: 'completed' },
        amount: { value: '99.99', currency: 'euro' },
      },
    });
    const res = validate({ ...ev, log: { level: 'loud' } });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.issues.map((i) => i.path).sort()).toEqual(['log.level', 'shop.amount.currency']);
  });

  it('checks the ECS client.geo names and client.as fields that GeoIP fills', () => {
    const base = transaction({
      shop: {
        transaction: { id: 'tx-1', type: 'purchase', status: 'completed' },
        amount: { value: '1.00', currency: 'EUR' },
      },
    });
    const geo = { country_iso_code: 'GB', country_name: 'United Kingdom', region_name: 'England', city_name: 'London' };
    expect(
      validate({
        ...base,
        client: { ip: '81.2.69.142', geo, as: { number: 20712, organization: { name: 'Andrews & Arnold' } } },
      }).ok,
    ).toBe(true);
    const res = validate({
      ...base,
      client: { geo: { country_name: 'x'.repeat(300) }, as: { number: -1, organization: { name: 7 } } },
    });
    expect(res.ok).toBe(false);
    if (!res.ok)
      expect(res.issues.map((i) => i.path).sort()).toEqual([
        'client.as.number',
        'client.as.organization.name',
        'client.geo.country_name',
      ]);
  });

  it('rejects an unknown dataset and non-objects without throwing', () => {
    expect(validate(null)).toEqual({
      ok: false,
      issues: [{ path: '(root)', message: 'an event must be a JSON object' }],
    });
    const res = validate({ event: { dataset: 'nope' } });
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.issues[0]?.path).toBe('event.dataset');
  });

  it('requires a nanosecond duration on performance events', () => {
    const ok = performance({
      event: { duration: msToNs(12.5) },
      shop: { performance: { kind: 'http' } },
      http: { route: '/products/:id' },
    });
    expect(validate(ok).ok).toBe(true);
    expect(ok.event.duration).toBe(12_500_000);
    const bad = createEvent('performance', { event: { duration: -1 }, shop: { performance: { kind: 'db' } } });
    const res = validate(bad);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.issues[0]?.path).toBe('event.duration');
  });

  it('mints uuidv7 ids that sort by time, even within one millisecond', () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7(1_700_000_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('generates JSON Schema per kind', () => {
    const schema = eventJsonSchema('transaction');
    expect(schema.$schema).toContain('2020-12');
    expect(JSON.stringify(schema)).toContain('shoplog.transaction');
  });
});
