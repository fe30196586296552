import { h, empty } from '../dom.js';
import { eventId, level, logType, message, text } from '../event.js';
import { fmtInt, fmtTime } from '../format.js';
import type { PageContext } from '../main.js';
import { api, withQuery } from '../api.js';
import { FILTER_KEYS, filterQuery, href, updateParams } from '../state.js';
import type { LogEvent } from '../types.js';
import { levelBadge, slot } from '../widgets.js';

const MAX_LINES = 500;

function line(ev: LogEvent): HTMLElement {
  return h(
    'li',
    { class: `tail-line level-line-${level(ev)}` },
    h('span', { class: 'tail-time' }, fmtTime(text(ev, '@timestamp'))),
    levelBadge(level(ev)),
    h('span', { class: 'tail-type' }, logType(ev)),
    h('a', { class: 'tail-msg', href: href('event', undefined, eventId(ev)) }, message(ev)),
  );
}

/** The latest stored events, for context under the live lines (only without filters: `recent` does not take them). */
function history(params: URLSearchParams, signal: AbortSignal): HTMLElement | null {
  if (FILTER_KEYS.some((k) => params.get(k)) || params.get('q')) return null;
  return h(
    'section',
    { class: 'card', 'aria-label': 'Before this page was opened' },
    h('header', { class: 'card-head' }, h('h2', null, 'Before you opened this page')),
    slot(
      api<{ logs: LogEvent[] }>('/api/logs/recent', { query: { limit: 20 }, signal }),
      (r) =>
        r.logs.length
          ? h('ol', { class: 'tail tail-history', id: 'tail-history' }, r.logs.map(line))
          : empty('No events stored yet.'),
      signal,
    ),
  );
}

/** Live tail over Server-Sent Events (`/api/logs/tail`), newest on top, with pause and filters in the URL. */
export function tailPage({ route, signal }: PageContext): HTMLElement {
  const p = route.params;
  const list = h('ol', { class: 'tail', id: 'tail-lines', 'aria-live': 'polite', 'aria-label': 'Live events' });
  const placeholder = empty('Waiting for new events… Events stored from now on appear here.');
  const status = h('span', { class: 'live-dot connecting', id: 'tail-status' }, 'Connecting');
  const counter = h('span', { class: 'muted' }, '0 events');
  let paused = false;
  let count = 0;
  const pauseBtn = h('button', { type: 'button', class: 'btn btn-small', 'aria-pressed': 'false' }, 'Pause');
  pauseBtn.addEventListener('click', () => {
    paused = !paused;
    pauseBtn.textContent = paused ? 'Resume' : 'Pause';
    pauseBtn.setAttribute('aria-pressed', String(paused));
  });
  const clearBtn = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small btn-ghost',
      onClick: () => {
        list.replaceChildren();
        count = 0;
        counter.textContent = '0 events';
      },
    },
    'Clear',
  );

  const q = h('input', {
    type: 'search',
    id: 'tail-q',
    'aria-label': 'Filter text',
    placeholder: 'Filter text…',
    value: p.get('q') ?? '',
  });
  const lvl = h(
    'select',
    { 'aria-label': 'Level', id: 'tail-level' },
    ['', 'debug', 'info', 'warn', 'error', 'fatal'].map((l) => h('option', { value: l }, l || 'All levels')),
  );
  lvl.value = p.get('level') ?? '';
  const filters = h(
    'form',
    { class: 'tail-filters' },
    q,
    lvl,
    h('button', { type: 'submit', class: 'btn btn-small' }, 'Apply'),
  );
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    updateParams({ q: q.value || null, level: lvl.value || null });
  });

  const source = new EventSource(withQuery('/api/logs/tail', filterQuery(p)));
  source.addEventListener('open', () => {
    status.className = 'live-dot live';
    status.textContent = 'Live';
  });
  source.addEventListener('error', () => {
    // EventSource reconnects by itself; say so instead of failing silently.
    status.className = 'live-dot down';
    status.textContent = source.readyState === EventSource.CLOSED ? 'Disconnected — reload to retry' : 'Reconnecting…';
  });
  source.addEventListener('log', (e) => {
    if (paused) return;
    let ev: LogEvent;
    try {
      ev = JSON.parse((e as MessageEvent<string>).data) as LogEvent;
    } catch {
      return;
    }
    placeholder.remove();
    list.prepend(line(ev));
    while (list.childElementCount > MAX_LINES) list.lastElementChild?.remove();
    count += 1;
    counter.textContent = `${fmtInt(count)} ${count === 1 ? 'event' : 'events'}`;
  });
  signal.addEventListener('abort', () => source.close());

  return h(
    'div',
    { class: 'page' },
    h(
      'div',
      { class: 'toolbar' },
      filters,
      h('div', { class: 'toolbar-actions' }, status, counter, pauseBtn, clearBtn),
    ),
    h(
      'section',
      { class: 'card', 'aria-label': 'Live tail' },
      h('header', { class: 'card-head' }, h('h2', null, 'New events')),
      placeholder,
      list,
    ),
    history(p, signal),
  );
}
