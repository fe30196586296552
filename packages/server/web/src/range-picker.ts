import { h } from './dom.js';
import { currentRoute, updateParams } from './state.js';

const RELATIVE: [string, string][] = [
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
];

/** `datetime-local` value of an ISO time in the browser's zone. */
function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const off = d.getTimezoneOffset() * 60_000;
  return new Date(d.getTime() - off).toISOString().slice(0, 16);
}

/** The time range picker: relative ranges or an absolute from/to, kept in the URL. */
export function rangePicker(): HTMLElement {
  const params = currentRoute().params;
  const absolute = Boolean(params.get('from') || params.get('to'));
  const select = h(
    'select',
    { id: 'range-select', 'aria-label': 'Time range' },
    RELATIVE.map(([v, label]) => h('option', { value: v }, label)),
    h('option', { value: 'custom' }, 'Custom range…'),
  );
  select.value = absolute ? 'custom' : (params.get('range') ?? '24h');
  const from = h('input', {
    type: 'datetime-local',
    id: 'range-from',
    'aria-label': 'From',
    value: toLocalInput(params.get('from')),
  });
  const to = h('input', {
    type: 'datetime-local',
    id: 'range-to',
    'aria-label': 'To',
    value: toLocalInput(params.get('to')),
  });
  const error = h('span', { class: 'range-error', role: 'alert' });
  const custom = h(
    'form',
    { class: 'range-custom', hidden: !absolute },
    from,
    h('span', { class: 'muted' }, '→'),
    to,
    h('button', { type: 'submit', class: 'btn btn-small' }, 'Apply'),
    error,
  );
  custom.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = from.value ? new Date(from.value) : null;
    const t = to.value ? new Date(to.value) : new Date();
    if (!f || Number.isNaN(f.getTime()) || Number.isNaN(t.getTime()) || f >= t) {
      error.textContent = 'Choose a start before the end.';
      return;
    }
    updateParams({ range: null, from: f.toISOString(), to: t.toISOString(), page: null });
  });
  select.addEventListener('change', () => {
    if (select.value === 'custom') {
      custom.hidden = false;
      if (!from.value) from.value = toLocalInput(new Date(Date.now() - 24 * 3600_000).toISOString());
      if (!to.value) to.value = toLocalInput(new Date().toISOString());
      from.focus();
    } else {
      updateParams({ range: select.value, from: null, to: null, page: null });
    }
  });
  return h('div', { class: 'range-picker' }, select, custom);
}
