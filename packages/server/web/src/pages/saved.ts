import { actionForm, confirmedDelete, deleteButton, field, roleNote, table } from '../admin.js';
import { api } from '../api.js';
import { card, h, mount } from '../dom.js';
import { fmtTime } from '../format.js';
import type { PageContext } from '../main.js';
import { FILTER_KEYS, href } from '../state.js';
import type { SavedSearch } from '../types.js';
import { slot } from '../widgets.js';

/** Roles that may save and delete searches (the server's `analyst` permission). */
export const SEARCH_SAVERS = ['analyst', 'admin'];
const KEPT = ['q', ...FILTER_KEYS, 'range', 'from', 'to', 'sort'];

/** The search parameters of the URL worth saving (text, filters, time range, sort). */
export function searchParamsOf(params: URLSearchParams): Record<string, string> {
  return Object.fromEntries(KEPT.flatMap((k) => (params.get(k) ? [[k, params.get(k) ?? '']] : [])));
}

/** A "Save this search" form for the search page (analyst and admin). */
export function saveSearchForm(params: URLSearchParams): HTMLElement {
  const name = h('input', {
    id: 'save-search-name',
    name: 'name',
    required: true,
    maxlength: '200',
    autocomplete: 'off',
  });
  const done = h('span', { class: 'muted', role: 'status', id: 'save-search-status' });
  const form = actionForm('save-search-form', 'Save this search', field('Name', name), 'Save', async () => {
    const saved = await api<SavedSearch>('/api/searches', {
      method: 'POST',
      body: { name: name.value, params: searchParamsOf(params) },
    });
    name.value = '';
    mount(done, 'Saved as ', h('a', { href: href('saved') }, saved.name), '.');
  });
  return h(
    'details',
    { class: 'save-search', id: 'save-search' },
    h('summary', { class: 'btn btn-small' }, 'Save search'),
    form,
    done,
  );
}

const paramsText = (params: Record<string, string>): string =>
  Object.entries(params)
    .map(([k, v]) => (k === 'q' ? `“${v}”` : `${k} = ${v}`))
    .join(' · ') || 'everything';

/** Saved searches of the signed-in user: open one in the search page, delete one. */
export function savedPage({ session, signal }: PageContext): HTMLElement {
  const canWrite = SEARCH_SAVERS.includes(session.user.role);
  const listBox = h('div', null);
  const status = h('span', { class: 'muted', role: 'status', id: 'saved-status' });
  const remove = (s: SavedSearch): void =>
    confirmedDelete({
      title: 'Delete saved search',
      confirmLabel: 'Delete',
      message: `Delete the saved search “${s.name}”?`,
      path: `/api/searches/${encodeURIComponent(s.id)}`,
      status,
      done: `Deleted ${s.name}.`,
      then: () => load(),
    });
  const load = (): void =>
    mount(
      listBox,
      slot(
        api<{ searches: SavedSearch[] }>('/api/searches', { signal }),
        (r) =>
          table({
            id: 'saved-searches',
            headers: ['Name', 'Search', 'Saved', ''],
            items: r.searches,
            empty: canWrite ? 'No saved searches yet: use “Save search” on the search page.' : 'No saved searches.',
            attrs: (s) => ({ 'data-saved-id': s.id }),
            row: (s) => [
              h('a', { href: href('search', s.params), class: 'saved-name' }, s.name),
              h('span', { class: 'muted' }, paramsText(s.params)),
              h('span', { class: 'nowrap' }, fmtTime(s.created_at)),
              canWrite ? deleteButton('Delete', `Delete saved search ${s.name}`, () => remove(s)) : '',
            ],
          }),
        signal,
      ),
    );
  load();
  return h(
    'div',
    { class: 'page' },
    h(
      'div',
      { class: 'grid' },
      card(
        'Saved searches',
        [listBox, canWrite ? null : roleNote('Saving or deleting a search', SEARCH_SAVERS, session.user.role)],
        { wide: true, id: 'card-saved', actions: status },
      ),
    ),
  );
}
