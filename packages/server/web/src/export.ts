import { api } from './api.js';
import type { Query } from './api.js';
import { flatten } from './event.js';
import type { LogEvent, SearchResponse } from './types.js';

/** The most events one export fetches (the search API's page size limit). */
export const EXPORT_LIMIT = 1000;

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // Quote always, and neutralise leading formula characters so a spreadsheet never evaluates log text.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** Events as CSV: one column per flattened field path, in a stable order. */
export function toCsv(events: LogEvent[]): string {
  const rows = events.map((e) => new Map(flatten(e)));
  const cols = [...new Set(rows.flatMap((r) => [...r.keys()]))].sort((a, b) =>
    a === '@timestamp' ? -1 : b === '@timestamp' ? 1 : a.localeCompare(b),
  );
  const lines = [cols.map(csvCell).join(',')];
  for (const r of rows) lines.push(cols.map((c) => csvCell(r.get(c))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

function download(name: string, type: string, content: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Fetches the current search (up to EXPORT_LIMIT events) and downloads it as CSV or JSON. */
export async function exportSearch(query: Query, format: 'csv' | 'json'): Promise<number> {
  const res = await api<SearchResponse>('/api/search/', { query: { ...query, page: 1, size: EXPORT_LIMIT } });
  const events = res.data.results.map((r) => r.source);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  if (format === 'csv') download(`shoplog-${stamp}.csv`, 'text/csv', toCsv(events));
  else download(`shoplog-${stamp}.json`, 'application/json', `${JSON.stringify(events, null, 2)}\n`);
  return events.length;
}
