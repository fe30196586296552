import { flatten } from './event.js';
import type { LogEvent } from './types.js';

function quote(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/** A header cell: a plain field path (`@timestamp`, `shop.amount.value`) cannot be a formula, anything else is neutralised. */
function headerCell(path: string): string {
  return quote(/^@?[\w.-]+$/.test(path) && !/^[=+-]/.test(path) ? path : `'${path}`);
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // Quote always, and neutralise leading formula characters so a spreadsheet never evaluates log text.
  // Numbers stay numbers (a negative amount is not a formula).
  const safe = typeof v !== 'number' && /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return quote(safe);
}

/** Events as CSV: one column per flattened field path, in a stable order. */
export function toCsv(events: LogEvent[]): string {
  const rows = events.map((e) => new Map(flatten(e)));
  const cols = [...new Set(rows.flatMap((r) => [...r.keys()]))].sort((a, b) =>
    a === '@timestamp' ? -1 : b === '@timestamp' ? 1 : a.localeCompare(b),
  );
  const lines = [cols.map(headerCell).join(',')];
  for (const r of rows) lines.push(cols.map((c) => csvCell(r.get(c))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
