import { api } from '../api.js';
import { card, empty, h } from '../dom.js';
import { flatten, level, logType, message, text } from '../event.js';
import { fmtTime } from '../format.js';
import type { PageContext } from '../main.js';
import { href } from '../state.js';
import type { LogEvent } from '../types.js';
import { levelBadge, slot } from '../widgets.js';

function value(v: unknown): string {
  return v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** One event: its headline, every field as text, and the raw JSON. */
export function eventPage({ route, signal }: PageContext): HTMLElement {
  const id = route.param;
  if (!id) return empty('No event selected.');
  return h(
    'div',
    { class: 'page' },
    h(
      'div',
      null,
      h('button', { type: 'button', class: 'btn btn-ghost btn-small back', onClick: () => history.back() }, '← Back'),
    ),
    slot(
      api<LogEvent>(`/api/logs/${encodeURIComponent(id)}`, { signal }),
      (ev) => {
        const fields = flatten(ev);
        const filterable: Record<string, string> = {
          'service.name': 'service',
          'http.route': 'route',
          'user.id': 'user_id',
          'log.level': 'level',
        };
        return h(
          'div',
          { class: 'grid', id: 'event-detail' },
          card(
            'Event',
            h(
              'div',
              { class: 'event-head' },
              levelBadge(level(ev)),
              h('span', { class: 'badge badge-soft' }, logType(ev)),
              h('span', { class: 'muted' }, fmtTime(text(ev, '@timestamp'))),
              h('p', { class: 'event-message', id: 'event-message' }, message(ev)),
            ),
            { wide: true },
          ),
          card(
            'Fields',
            h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'table kv', id: 'event-fields' },
                h(
                  'tbody',
                  null,
                  fields.map(([k, v]) => {
                    const f = filterable[k];
                    return h(
                      'tr',
                      null,
                      h('th', { scope: 'row' }, k),
                      h(
                        'td',
                        null,
                        f && v !== null && v !== undefined
                          ? h(
                              'a',
                              { href: href('search', { [f]: String(v) }), title: `Search ${f}=${String(v)}` },
                              value(v),
                            )
                          : value(v),
                      ),
                    );
                  }),
                ),
              ),
            ),
            { wide: true },
          ),
          card('JSON', h('pre', { class: 'json', id: 'event-json', tabindex: '0' }, JSON.stringify(ev, null, 2)), {
            wide: true,
          }),
        );
      },
      signal,
    ),
  );
}
