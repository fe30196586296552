import { api } from '../api.js';
import { barList, cssColor, timeChart, toSeconds } from '../charts.js';
import { card, empty, h } from '../dom.js';
import { fmtInt, fmtMs, fmtPct } from '../format.js';
import type { PageContext } from '../main.js';
import { href, rangeQuery } from '../state.js';
import type { Overview } from '../types.js';
import { eventList, histogramChart, kpi, slot } from '../widgets.js';

function searchLink(params: Record<string, string>, keep: URLSearchParams): () => void {
  return () => {
    const p = new URLSearchParams(keep);
    for (const [k, v] of Object.entries(params)) p.set(k, v);
    location.hash = href('search', p);
  };
}

/** The overview: KPI cards, event histogram, logs and errors per hour, distributions, top countries and recent errors. */
export function overviewPage({ route, signal }: PageContext): HTMLElement {
  const range = rangeQuery(route.params);
  const keep = new URLSearchParams();
  for (const [k, v] of Object.entries(range)) if (v) keep.set(k, String(v));
  const data = api<Overview>('/api/dashboard/overview', { query: range, signal });
  return h(
    'div',
    { class: 'page' },
    slot(
      data,
      (o) =>
        h(
          'div',
          { class: 'kpis', id: 'overview-kpis' },
          kpi('total_logs', 'Events', fmtInt(o.total_logs), `${fmtInt(o.logs_today)} today`),
          kpi('total_errors', 'Errors', fmtInt(o.total_errors), undefined, o.total_errors > 0 ? 'tone-bad' : ''),
          kpi('error_rate', 'Error rate', fmtPct(o.error_rate), undefined, o.error_rate >= 5 ? 'tone-bad' : ''),
          kpi('unique_users', 'Users', fmtInt(o.unique_users), `${fmtInt(o.active_users)} active`),
          kpi('avg_response_time_ms', 'Avg response', fmtMs(o.avg_response_time_ms)),
          kpi('uploaded_files', 'Uploads', fmtInt(o.uploaded_files)),
        ),
      signal,
    ),
    h(
      'div',
      { class: 'grid' },
      card('Events over time', histogramChart(range, signal), { wide: true, id: 'card-histogram' }),
      card(
        'Logs and errors over time',
        slot(
          data,
          (o) =>
            o.logs_per_hour.length === 0
              ? empty('No events in this time range.')
              : timeChart({
                  x: o.logs_per_hour.map((p) => toSeconds(p.hour)),
                  ys: [o.logs_per_hour.map((p) => p.total), o.logs_per_hour.map((p) => p.errors)],
                  series: [
                    { label: 'Logs', color: cssColor('--c1'), fill: true },
                    { label: 'Errors', color: cssColor('--bad'), fill: true },
                  ],
                }),
          signal,
        ),
        { wide: true, id: 'card-per-hour' },
      ),
      card(
        'Levels',
        slot(
          data,
          (o) => {
            const items = Object.entries(o.log_levels_distribution).map(([lvl, n]) => ({
              label: lvl,
              value: n,
              display: fmtInt(n),
              onClick: searchLink({ level: lvl }, keep),
            }));
            return items.length ? barList(items, { label: 'Levels' }) : empty('No events.');
          },
          signal,
        ),
      ),
      card(
        'Event types',
        slot(
          data,
          (o) =>
            o.log_types.length
              ? barList(
                  o.log_types.map((t) => ({
                    label: t.type,
                    value: t.count,
                    display: fmtInt(t.count),
                    onClick: searchLink({ log_type: t.type }, keep),
                  })),
                )
              : empty('No events.'),
          signal,
        ),
      ),
      card(
        'Top services',
        slot(
          data,
          (o) =>
            o.top_services.length
              ? barList(
                  o.top_services.map((s) => ({
                    label: s.name,
                    value: s.count,
                    display: `${fmtInt(s.count)} · ${fmtPct(s.percentage)}`,
                    onClick: searchLink({ service: s.name }, keep),
                  })),
                )
              : empty('No services reported yet.'),
          signal,
        ),
      ),
      card(
        'Top endpoints',
        slot(
          data,
          (o) =>
            o.top_endpoints.length
              ? barList(
                  o.top_endpoints.map((e) => ({
                    label: e.route,
                    value: e.count,
                    display: fmtInt(e.count),
                    onClick: searchLink({ route: e.route }, keep),
                  })),
                )
              : empty('No requests yet.'),
          signal,
        ),
      ),
      card(
        'Top countries',
        slot(
          data,
          (o) =>
            o.top_countries.length
              ? barList(
                  o.top_countries.map((c) => ({
                    label: c.country,
                    value: c.count,
                    display: fmtInt(c.count),
                    onClick: searchLink({ country: c.country }, keep),
                  })),
                  { label: 'Top countries' },
                )
              : empty('No client countries yet: run GeoIP (@shoplog/plugin-geoip) to fill them from client IPs.'),
          signal,
        ),
        { id: 'card-countries' },
      ),
      card(
        'Recent errors',
        slot(data, (o) => eventList(o.recent_errors, 'No errors in this range. ✓'), signal),
        { wide: true },
      ),
    ),
  );
}
