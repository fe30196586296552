import { api } from './api.js';
import type { Query } from './api.js';
import { timeChart, cssColor } from './charts.js';
import { empty, errorBox, h, loading, mount } from './dom.js';
import type { Child } from './dom.js';
import { eventId, level, logType, message } from './event.js';
import { fmtInt, fmtTime } from './format.js';
import { href } from './state.js';
import type { Histogram, LogEvent } from './types.js';

/** A box that shows a loading state, then the rendered result, or the error for the person to read. */
export function slot<T>(promise: Promise<T>, render: (value: T) => Child, signal?: AbortSignal): HTMLElement {
  const box = h('div', { class: 'slot', 'aria-busy': 'true' }, loading());
  promise.then(
    (value) => {
      if (signal?.aborted) return;
      mount(box, render(value));
      box.removeAttribute('aria-busy');
    },
    (e: unknown) => {
      if (signal?.aborted) return;
      box.replaceChildren(errorBox(e));
      box.removeAttribute('aria-busy');
    },
  );
  return box;
}

/** A KPI tile; `data-kpi` names the API field it shows. */
export function kpi(name: string, label: string, value: string, sub?: string, tone?: string): HTMLElement {
  return h(
    'div',
    { class: `kpi ${tone ?? ''}`, 'data-kpi': name },
    h('span', { class: 'kpi-label' }, label),
    h('span', { class: 'kpi-value' }, value),
    sub ? h('span', { class: 'kpi-sub' }, sub) : null,
  );
}

/** A level badge. */
export function levelBadge(lvl: string): HTMLElement {
  return h('span', { class: `badge level-${lvl.replace(/[^a-z]/g, '')}` }, lvl);
}

const RANGE_MS: Record<string, number> = { '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 };

/**
 * The API returns only non-empty buckets; put the empty ones back (count 0) across the asked range, so bars keep
 * one width and gaps show as gaps. The counts themselves are the API's.
 */
export function fillBuckets(hist: Histogram, query: Query): { ts: number; count: number }[] {
  const step = hist.interval_ms;
  const given = hist.buckets.map((b) => ({ ts: typeof b.ts === 'number' ? b.ts : Date.parse(b.ts), count: b.count }));
  if (!(step > 0) || given.length === 0) return given;
  const to = query.to ? Date.parse(String(query.to)) : Date.now();
  const from = query.from ? Date.parse(String(query.from)) : to - (RANGE_MS[String(query.range ?? '24h')] ?? 86400e3);
  const first = Math.min(Math.floor(from / step) * step, ...given.map((b) => b.ts));
  const last = Math.max(Math.floor(to / step) * step, ...given.map((b) => b.ts));
  if (!Number.isFinite(first) || !Number.isFinite(last) || (last - first) / step > 5000) return given;
  const byTs = new Map(given.map((b) => [b.ts, b.count]));
  const out: { ts: number; count: number }[] = [];
  for (let t = first; t <= last; t += step) out.push({ ts: t, count: byTs.get(t) ?? 0 });
  // A bucket not aligned on the step (another store's rounding) is kept rather than dropped.
  for (const b of given) if (!out.some((o) => o.ts === b.ts)) out.push(b);
  return out.sort((a, b) => a.ts - b.ts);
}

/** The event-count histogram for the given range and filters, from `/api/search/histogram`. */
export function histogramChart(query: Query, signal: AbortSignal): HTMLElement {
  return slot(
    api<Histogram>('/api/search/histogram', { query: { ...query, interval: 'auto' }, signal }),
    (hist) => {
      if (hist.buckets.length === 0 || hist.buckets.every((b) => b.count === 0))
        return empty('No events in this time range.');
      const total = hist.buckets.reduce((s, b) => s + b.count, 0);
      const buckets = fillBuckets(hist, query);
      return [
        h('p', { class: 'chart-caption', 'data-histogram-total': String(total) }, `${fmtInt(total)} events`),
        timeChart({
          x: buckets.map((b) => b.ts / 1000),
          ys: [buckets.map((b) => b.count)],
          series: [{ label: 'Events', color: cssColor('--c1') }],
          bars: true,
          height: 160,
        }),
      ];
    },
    signal,
  );
}

/** A compact list of events linking to their detail view. */
export function eventList(events: LogEvent[], emptyText = 'No events.'): HTMLElement {
  if (events.length === 0) return empty(emptyText);
  return h(
    'ul',
    { class: 'event-list' },
    events.map((ev) =>
      h(
        'li',
        null,
        h(
          'a',
          { href: href('event', undefined, eventId(ev)) },
          levelBadge(level(ev)),
          h('span', { class: 'event-msg' }, message(ev)),
          h('span', { class: 'event-meta' }, `${logType(ev)} · ${fmtTime(String(ev['@timestamp'] ?? ''))}`),
        ),
      ),
    ),
  );
}
