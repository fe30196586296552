import type { Query } from './api.js';

/** The filters the search, tail and histogram endpoints share, as URL parameter names. */
export const FILTER_KEYS = [
  'log_type',
  'level',
  'service',
  'route',
  'status',
  'user_id',
  'payment_method',
  'country',
] as const;

/** The current view and its URL state (`#/view/param?range=24h&q=…`). */
export interface Route {
  view: string;
  param: string | null;
  params: URLSearchParams;
}

/** Reads the route from the location hash. */
export function currentRoute(): Route {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path = '', qs = ''] = raw.split('?', 2) as [string?, string?];
  const [view = '', param = null] = path.split('/').map(decodeURIComponent) as [string?, string?];
  return { view: view || 'overview', param: param || null, params: new URLSearchParams(qs) };
}

/** Builds a hash for a view and parameters. */
export function href(view: string, params?: URLSearchParams | Record<string, string>, param?: string): string {
  const p = params instanceof URLSearchParams ? params : new URLSearchParams(params ?? {});
  const qs = p.toString();
  return `#/${view}${param ? `/${encodeURIComponent(param)}` : ''}${qs ? `?${qs}` : ''}`;
}

/** Goes to a view; keeps the time range unless told otherwise. */
export function navigate(view: string, params?: Record<string, string>, param?: string): void {
  const cur = currentRoute().params;
  const next = new URLSearchParams();
  for (const k of ['range', 'from', 'to']) {
    const v = cur.get(k);
    if (v) next.set(k, v);
  }
  for (const [k, v] of Object.entries(params ?? {})) next.set(k, v);
  location.hash = href(view, next, param);
}

/** Changes URL parameters of the current view (null removes one), adding a history entry. */
export function updateParams(patch: Record<string, string | null>): void {
  const r = currentRoute();
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || v === '') r.params.delete(k);
    else r.params.set(k, v);
  }
  location.hash = href(r.view, r.params, r.param ?? undefined);
}

/** The time range of the URL as API query parameters (relative `range`, or absolute `from`/`to`). */
export function rangeQuery(params: URLSearchParams): Query {
  const from = params.get('from');
  const to = params.get('to');
  if (from || to) return { from, to };
  return { range: params.get('range') ?? '24h' };
}

/** Search filters of the URL as API query parameters. */
export function filterQuery(params: URLSearchParams): Query {
  const q: Query = { q: params.get('q') };
  for (const k of FILTER_KEYS) q[k] = params.get(k);
  return q;
}
