import { table } from '../admin.js';
import { api } from '../api.js';
import { card, empty, h } from '../dom.js';
import { fmtInt, fmtMs } from '../format.js';
import type { PageContext } from '../main.js';
import type { Health, PluginHealth } from '../types.js';
import { kpi, slot } from '../widgets.js';

const STATE_TEXT: Record<PluginHealth['state'], string> = {
  ok: 'ok',
  failing: 'failing',
  open: 'circuit open',
  refused: 'refused at load',
};

function pluginTable(plugins: PluginHealth[]): HTMLElement {
  return table({
    id: 'plugins',
    headers: ['Plugin', 'Kind', 'Stage', 'State', 'Calls', 'Errors', 'Timeouts', 'Mean time', 'Last error'],
    items: plugins,
    empty: 'No plugins are loaded.',
    attrs: (p) => ({ 'data-plugin': p.name }),
    row: (p) => [
      h('span', null, h('strong', null, p.name), h('span', { class: 'muted' }, ` ${p.version}`)),
      p.kind,
      p.stage,
      h('span', { class: `badge state-${p.state === 'ok' ? 'ok' : 'firing'}` }, STATE_TEXT[p.state] ?? p.state),
      fmtInt(p.calls),
      fmtInt(p.errors),
      fmtInt(p.timeouts),
      p.calls > 0 ? fmtMs(p.total_ms / p.calls) : '—',
      p.last_error ? h('span', { class: 'msg-cell' }, p.last_error) : '',
    ],
  });
}

/** Plugins with their health (calls, errors, timeouts, circuit state) and the stores the server depends on, from `/api/dashboard/health`. */
export function pluginsPage({ signal }: PageContext): HTMLElement {
  const health = api<Health>('/api/dashboard/health', { signal });
  return h(
    'div',
    { class: 'page' },
    slot(
      health,
      (r) => {
        const plugins = r.plugins ?? [];
        return h(
          'div',
          { class: 'kpis', id: 'plugin-kpis' },
          kpi(
            'status',
            'Server',
            r.status,
            undefined,
            r.status === 'ok' ? '' : r.status === 'down' ? 'tone-bad' : 'tone-warn',
          ),
          kpi('plugins', 'Plugins', r.plugins ? fmtInt(plugins.length) : '—'),
          kpi(
            'failing',
            'Failing',
            fmtInt(plugins.filter((p) => p.state === 'failing' || p.state === 'refused').length),
            'failing, or refused at load',
            plugins.some((p) => p.state === 'failing' || p.state === 'refused') ? 'tone-warn' : '',
          ),
          kpi(
            'open',
            'Circuit open',
            fmtInt(plugins.filter((p) => p.state === 'open').length),
            'skipped until it recovers',
            plugins.some((p) => p.state === 'open') ? 'tone-bad' : '',
          ),
        );
      },
      signal,
    ),
    h(
      'div',
      { class: 'grid' },
      card(
        'Plugins',
        slot(
          health,
          (r) => (r.plugins === undefined ? empty('No plugins reported by this server.') : pluginTable(r.plugins)),
          signal,
        ),
        { wide: true, id: 'card-plugins' },
      ),
      card(
        'Dependencies',
        slot(
          health,
          (r) =>
            table({
              id: 'dependencies',
              headers: ['Name', 'Kind', 'Status', 'Latency', 'Error'],
              items: r.dependencies,
              empty: 'No dependency reported.',
              row: (d) => [
                h('strong', null, d.name),
                d.kind,
                h('span', { class: `badge state-${d.status === 'ok' ? 'ok' : 'firing'}` }, d.status),
                d.latency_ms === undefined ? '—' : fmtMs(d.latency_ms),
                d.error ?? '',
              ],
            }),
          signal,
        ),
        { wide: true, id: 'card-dependencies' },
      ),
    ),
  );
}
