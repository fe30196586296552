import { describe, expect, it } from 'vitest';
import { toCsv } from '../../web/src/csv.js';

describe('dashboard CSV export', () => {
  it('writes one column per field path, quoted, with nested objects flattened', () => {
    const csv = toCsv([
      {
        '@timestamp': '2026-11-26T10:00:00.000Z',
        message: 'paid "twice", really',
        event: { id: 'a' },
        shop: { amount: { value: '12.50', currency: 'EUR' } },
      },
      { '@timestamp': '2026-11-26T10:01:00.000Z', message: 'line\nbreak', event: { id: 'b' }, user: { id: 'u-1' } },
    ]);
    const [header, first, second, end] = csv.split('\r\n');
    expect(header).toBe('"@timestamp","event.id","message","shop.amount.currency","shop.amount.value","user.id"');
    expect(first).toBe('"2026-11-26T10:00:00.000Z","a","paid ""twice"", really","EUR","12.50",""');
    expect(second).toBe('"2026-11-26T10:01:00.000Z","b","line\nbreak","","","u-1"');
    expect(end).toBe('');
  });

  it('neutralises spreadsheet formulas in log text but keeps negative numbers', () => {
    const csv = toCsv([{ message: '=HYPERLINK("http://evil","x")', delta: -3.5, note: '-2+3' }]);
    const row = csv.split('\r\n')[1];
    expect(row).toBe('"-3.5","\'=HYPERLINK(""http://evil"",""x"")","\'-2+3"');
  });
});
