import { api } from './api.js';
import type { Query } from './api.js';
import { toCsv } from './csv.js';
import type { SearchResponse } from './types.js';

/** The most events one export fetches (the search API's page size limit). */
export const EXPORT_LIMIT = 1000;

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
