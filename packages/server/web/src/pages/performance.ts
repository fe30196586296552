import { api } from '../api.js';
import { cssColor, timeChart, toSeconds } from '../charts.js';
import { card, empty, h } from '../dom.js';
import { fmt1, fmtInt, fmtMs } from '../format.js';
import type { PageContext } from '../main.js';
import { href, rangeQuery } from '../state.js';
import type { Percentiles, Performance } from '../types.js';
import { kpi, slot } from '../widgets.js';

function pctTable(
  rows: (Percentiles & { name: string })[],
  label: string,
  link?: (name: string) => string,
): HTMLElement {
  if (rows.length === 0) return empty('No timings in this range.');
  const max = Math.max(1, ...rows.map((r) => r.p99));
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table num', 'aria-label': label },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          [label, 'Count', 'p50', 'p95', 'p99', 'Max', ''].map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map((r) => {
          const bar = h('span', { class: 'lat-bar' });
          const p50 = h('span', { class: 'lat-p50' });
          bar.style.width = `${(r.p99 / max) * 100}%`;
          p50.style.width = `${(r.p50 / Math.max(r.p99, 1)) * 100}%`;
          bar.appendChild(p50);
          return h(
            'tr',
            null,
            h('th', { scope: 'row' }, link ? h('a', { href: link(r.name) }, r.name) : r.name),
            h('td', null, fmtInt(r.count)),
            h('td', null, fmtMs(r.p50)),
            h('td', null, fmtMs(r.p95)),
            h('td', null, fmtMs(r.p99)),
            h('td', null, fmtMs(r.max)),
            h('td', { class: 'lat-cell' }, bar),
          );
        }),
      ),
    ),
  );
}

/** Performance: latency percentiles overall, over time, by route and by database operation. */
export function performancePage({ route, signal }: PageContext): HTMLElement {
  const range = rangeQuery(route.params);
  const data = api<Performance>('/api/performance/metrics', { query: range, signal });
  return h(
    'div',
    { class: 'page' },
    slot(
      data,
      (m) =>
        h(
          'div',
          { class: 'kpis' },
          kpi('p50', 'p50', fmtMs(m.overall.p50)),
          kpi('p95', 'p95', fmtMs(m.overall.p95)),
          kpi('p99', 'p99', fmtMs(m.overall.p99)),
          kpi('requests', 'Requests', fmtInt(m.overall.count)),
          kpi(
            'slow_requests',
            'Slow requests',
            fmtInt(m.slow_requests.count),
            `over ${fmtMs(m.slow_requests.threshold_ms)}`,
            m.slow_requests.count ? 'tone-warn' : '',
          ),
          kpi(
            'slow_queries',
            'Slow queries',
            fmtInt(m.slow_queries.count),
            `over ${fmtMs(m.slow_queries.threshold_ms)}`,
          ),
        ),
      signal,
    ),
    h(
      'div',
      { class: 'grid' },
      card(
        'Latency percentiles over time',
        slot(
          data,
          (m) =>
            m.timeline.length
              ? timeChart({
                  x: m.timeline.map((t) => toSeconds(t.ts)),
                  ys: [m.timeline.map((t) => t.p50), m.timeline.map((t) => t.p95), m.timeline.map((t) => t.p99)],
                  series: [
                    { label: 'p50', color: cssColor('--c1') },
                    { label: 'p95', color: cssColor('--warn') },
                    { label: 'p99', color: cssColor('--bad') },
                  ],
                  yFormat: (v) => fmtMs(v),
                })
              : empty('No timings in this range.'),
          signal,
        ),
        { wide: true },
      ),
      card(
        'By route',
        slot(
          data,
          (m) =>
            pctTable(
              m.by_route.map((r) => ({ ...r, name: r.route })),
              'Route',
              (name) => href('search', { route: name }),
            ),
          signal,
        ),
        { wide: true, id: 'card-routes' },
      ),
      card(
        'By database operation',
        slot(
          data,
          (m) =>
            pctTable(
              m.by_db_operation.map((r) => ({ ...r, name: r.operation })),
              'Operation',
            ),
          signal,
        ),
        { wide: true },
      ),
      slot(
        data,
        (m) =>
          h(
            'p',
            { class: 'muted footnote' },
            m.approximate ? `Percentiles are approximate (relative error ≤ ${fmt1(m.relative_error * 100)} %).` : '',
          ),
        signal,
      ),
    ),
  );
}
