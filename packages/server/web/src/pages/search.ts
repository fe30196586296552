import { api } from '../api.js';
import type { Query } from '../api.js';
import { autocomplete } from '../autocomplete.js';
import { card, empty, h, highlighted } from '../dom.js';
import { eventId, level, logType, message, text } from '../event.js';
import { exportSearch } from '../export.js';
import { SEARCH_SAVERS, saveSearchForm } from './saved.js';
import { fmtInt, fmtTime } from '../format.js';
import type { PageContext } from '../main.js';
import { FILTER_KEYS, filterQuery, href, rangeQuery, updateParams } from '../state.js';
import type { Fields, SearchResponse } from '../types.js';
import { histogramChart, levelBadge, slot } from '../widgets.js';

const PAGE_SIZE = 50;
const SORTS: [string, string][] = [
  ['@timestamp', 'Newest first'],
  ['amount', 'Amount'],
  ['response_time', 'Response time'],
  ['fraud_score', 'Fraud score'],
];

/** The search filter parameter of a sidebar field, or null when the API has no filter for it (counts only). */
function filterKey(field: string): string | null {
  const map: Record<string, string> = {
    'log.level': 'level',
    'service.name': 'service',
    'http.route': 'route',
    'user.id': 'user_id',
    transaction_status: 'status',
    http_status: 'status',
  };
  const key = map[field] ?? field;
  return (FILTER_KEYS as readonly string[]).includes(key) ? key : null;
}

function results(res: SearchResponse, page: number): HTMLElement {
  const d = res.data;
  if (d.results.length === 0) return empty('No events match. Try a wider time range or fewer filters.');
  const rows = d.results.map((r) => {
    const ev = r.source;
    const id = r.id || eventId(ev);
    const msg = r.highlight?.message ? highlighted(r.highlight.message) : message(ev);
    return h(
      'tr',
      { 'data-event-id': id },
      h('td', { class: 'nowrap muted' }, fmtTime(text(ev, '@timestamp'))),
      h('td', null, levelBadge(level(ev))),
      h('td', { class: 'nowrap' }, logType(ev)),
      h('td', { class: 'nowrap' }, text(ev, 'service.name', 'service')),
      h('td', { class: 'msg-cell' }, h('a', { href: href('event', undefined, id), class: 'result-link' }, msg)),
    );
  });
  const pager = h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small',
        disabled: page <= 1,
        onClick: () => updateParams({ page: String(page - 1) }),
      },
      '← Previous',
    ),
    h('span', { class: 'muted' }, `Page ${fmtInt(d.page)} of ${fmtInt(Math.max(1, d.total_pages))}`),
    h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small',
        disabled: page >= d.total_pages,
        onClick: () => updateParams({ page: String(page + 1) }),
      },
      'Next →',
    ),
  );
  return h(
    'div',
    null,
    h('p', { class: 'muted', id: 'search-total' }, `${fmtInt(d.total)} matching events`),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'table', id: 'search-results' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['Time', 'Level', 'Type', 'Service', 'Message'].map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        h('tbody', null, rows),
      ),
    ),
    pager,
  );
}

function sidebar(fields: Fields, params: URLSearchParams): HTMLElement {
  const groups = fields.fields.filter((f) => f.top.length > 0);
  if (groups.length === 0) return empty('No field values in this range.');
  return h(
    'div',
    { class: 'fields' },
    groups.map((f) => {
      const key = filterKey(f.field);
      const total = f.top.reduce((s, t) => s + t.count, 0) || 1;
      return h(
        'details',
        { open: true, class: 'field-group', 'data-field': f.field },
        h('summary', null, f.field),
        h(
          'ul',
          null,
          f.top.map((t) => {
            const value = String(t.value);
            const bar = h('span', { class: 'mini-bar' });
            bar.style.width = `${Math.round((t.count / total) * 100)}%`;
            const content = [
              h('span', { class: 'fv-text' }, value),
              h('span', { class: 'fv-count' }, fmtInt(t.count)),
              bar,
            ];
            if (!key) return h('li', null, h('div', { class: 'field-value static' }, content));
            const activeNow = params.get(key) === value;
            return h(
              'li',
              null,
              h(
                'button',
                {
                  type: 'button',
                  class: activeNow ? 'field-value active' : 'field-value',
                  'aria-pressed': activeNow ? 'true' : 'false',
                  title: activeNow ? `Remove filter ${key}=${value}` : `Filter on ${key}=${value}`,
                  onClick: () => updateParams({ [key]: activeNow ? null : value, page: null }),
                },
                content,
              ),
            );
          }),
        ),
      );
    }),
  );
}

/** Search: free text with autocomplete, filter chips, field sidebar, histogram, results, paging and export. */
export function searchPage({ route, session, signal }: PageContext): HTMLElement {
  const p = route.params;
  const page = Math.max(1, Number(p.get('page') ?? '1') || 1);
  const sortField = p.get('sort') ?? '@timestamp';
  const base: Query = { ...rangeQuery(p), ...filterQuery(p) };
  const query: Query = { ...base, page, size: PAGE_SIZE, sort_field: sortField, sort_order: 'desc' };

  const input = h('input', {
    type: 'search',
    id: 'search-input',
    name: 'q',
    value: p.get('q') ?? '',
    placeholder: 'Search messages, routes, products, users…',
    autocomplete: 'off',
    'aria-label': 'Search',
  });
  const submit = (q: string): void => updateParams({ q: q.trim() || null, page: null });
  const list = autocomplete(input, submit, signal);
  const form = h(
    'form',
    { class: 'search-bar', role: 'search' },
    h('div', { class: 'ac-wrap' }, input, list),
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Search'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit(input.value);
  });

  const sort = h(
    'select',
    { 'aria-label': 'Sort by', id: 'search-sort' },
    SORTS.map(([v, l]) => h('option', { value: v }, l)),
  );
  sort.value = sortField;
  sort.addEventListener('change', () =>
    updateParams({ sort: sort.value === '@timestamp' ? null : sort.value, page: null }),
  );
  const exportMsg = h('span', { class: 'muted', role: 'status' });
  const doExport = (format: 'csv' | 'json'): void => {
    exportMsg.textContent = 'Exporting…';
    exportSearch({ ...base, sort_field: sortField, sort_order: 'desc' }, format).then(
      (n) => {
        exportMsg.textContent = `Exported ${fmtInt(n)} events.`;
      },
      (e: unknown) => {
        exportMsg.textContent = `Export failed: ${e instanceof Error ? e.message : String(e)}`;
      },
    );
  };
  const chips = FILTER_KEYS.filter((k) => p.get(k)).map((k) =>
    h(
      'button',
      {
        type: 'button',
        class: 'chip',
        'aria-label': `Remove filter ${k}`,
        onClick: () => updateParams({ [k]: null, page: null }),
      },
      h('span', { class: 'chip-key' }, k),
      ' = ',
      p.get(k) ?? '',
      h('span', { class: 'chip-x', 'aria-hidden': 'true' }, '×'),
    ),
  );

  return h(
    'div',
    { class: 'page' },
    form,
    h(
      'div',
      { class: 'toolbar' },
      h(
        'div',
        { class: 'chips', id: 'filter-chips' },
        chips.length ? chips : h('span', { class: 'muted' }, 'No filters — click a value in the sidebar to add one.'),
      ),
      h(
        'div',
        { class: 'toolbar-actions' },
        sort,
        h(
          'button',
          { type: 'button', class: 'btn btn-small', id: 'export-csv', onClick: () => doExport('csv') },
          'Export CSV',
        ),
        h(
          'button',
          { type: 'button', class: 'btn btn-small', id: 'export-json', onClick: () => doExport('json') },
          'Export JSON',
        ),
        exportMsg,
        SEARCH_SAVERS.includes(session.user.role) ? saveSearchForm(p) : null,
      ),
    ),
    h(
      'div',
      { class: 'search-layout' },
      h(
        'aside',
        { class: 'card sidebar', 'aria-label': 'Fields', id: 'field-sidebar' },
        h('h2', null, 'Fields'),
        slot(api<Fields>('/api/search/fields', { query: base, signal }), (f) => sidebar(f, p), signal),
      ),
      h(
        'div',
        { class: 'search-main' },
        card('Events over time', histogramChart(base, signal), { id: 'card-histogram' }),
        h(
          'section',
          { class: 'card', 'aria-label': 'Results' },
          slot(api<SearchResponse>('/api/search/', { query, signal }), (r) => results(r, page), signal),
        ),
      ),
    ),
  );
}
