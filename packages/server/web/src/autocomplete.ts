import { api } from './api.js';
import { h } from './dom.js';
import { fmtInt } from './format.js';
import type { Suggestions } from './types.js';

let counter = 0;

/** Wires an ARIA combobox to `/api/search/autocomplete`: arrows move, Enter picks, Escape closes. */
export function autocomplete(
  input: HTMLInputElement,
  onPick: (text: string) => void,
  signal: AbortSignal,
): HTMLElement {
  const id = `ac-list-${++counter}`;
  const list = h('ul', { class: 'ac-list', id, role: 'listbox', hidden: true });
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-controls', id);
  input.setAttribute('aria-expanded', 'false');
  let items: Suggestions['suggestions'] = [];
  let active = -1;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inflight: AbortController | null = null;

  const close = (): void => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const paint = (): void => {
    list.replaceChildren(
      ...items.map((s, i) => {
        const li = h(
          'li',
          { id: `${id}-${i}`, role: 'option', class: 'ac-item', 'aria-selected': i === active ? 'true' : 'false' },
          h('span', { class: 'ac-text' }, s.text),
          h('span', { class: 'ac-field' }, s.field),
          s.count !== undefined ? h('span', { class: 'ac-count' }, fmtInt(s.count)) : null,
        );
        // mousedown, not click: it fires before the input's blur closes the list.
        li.addEventListener('mousedown', (e) => {
          e.preventDefault();
          pick(i);
        });
        return li;
      }),
    );
    list.hidden = items.length === 0;
    input.setAttribute('aria-expanded', items.length ? 'true' : 'false');
    if (active >= 0) input.setAttribute('aria-activedescendant', `${id}-${active}`);
    else input.removeAttribute('aria-activedescendant');
  };
  const pick = (i: number): void => {
    const s = items[i];
    if (!s) return;
    input.value = s.text;
    close();
    onPick(s.text);
  };
  const fetchSuggestions = (): void => {
    const q = input.value.trim();
    inflight?.abort();
    if (q.length < 2) {
      items = [];
      close();
      return;
    }
    inflight = new AbortController();
    api<Suggestions>('/api/search/autocomplete', { query: { q }, signal: inflight.signal }).then(
      (r) => {
        if (signal.aborted || document.activeElement !== input) return;
        items = r.suggestions.slice(0, 8);
        active = -1;
        paint();
      },
      () => {
        // Suggestions are a convenience: a failed lookup leaves the search box usable and shows nothing.
        items = [];
        close();
      },
    );
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 150);
  });
  input.addEventListener('keydown', (e) => {
    if (list.hidden) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const n = items.length;
      active = e.key === 'ArrowDown' ? (active + 1) % n : (active - 1 + n) % n;
      paint();
    } else if (e.key === 'Enter' && active >= 0) {
      e.preventDefault();
      pick(active);
    } else if (e.key === 'Escape') {
      close();
    }
  });
  input.addEventListener('blur', close);
  signal.addEventListener('abort', () => {
    clearTimeout(timer);
    inflight?.abort();
  });
  return list;
}
