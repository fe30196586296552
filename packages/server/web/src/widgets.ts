import { api } from './api.js';
import type { Query } from './api.js';
import { timeChart, cssColor, toSeconds } from './charts.js';
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

/** The event-count histogram for the given range and filters, from `/api/search/histogram`. */
export function histogramChart(query: Query, signal: AbortSignal): HTMLElement {
  return slot(
    api<Histogram>('/api/search/histogram', { query: { ...query, interval: 'auto' }, signal }),
    (hist) => {
      if (hist.buckets.length === 0 || hist.buckets.every((b) => b.count === 0)) return empty('No events in this time range.');
      const total = hist.buckets.reduce((s, b) => s + b.count, 0);
      return [
        h('p', { class: 'chart-caption', 'data-histogram-total': String(total) }, `${fmtInt(total)} events`),
        timeChart({
          x: hist.buckets.map((b) => toSeconds(b.ts)),
          ys: [hist.buckets.map((b) => b.count)],
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
