import { actionForm, confirmedDelete, deleteButton, field, table } from '../admin.js';
import { api } from '../api.js';
import { card, h, mount } from '../dom.js';
import { fmtTime } from '../format.js';
import type { PageContext } from '../main.js';
import type { ApiKey } from '../types.js';
import { slot } from '../widgets.js';

const SCOPES: [string, string][] = [
  ['ingest', 'ingest — send logs'],
  ['read', 'read — search and dashboards'],
  ['metrics', 'metrics — GET /metrics only'],
  ['admin', 'admin — everything'],
];

/** Copies text to the clipboard; where the Clipboard API is refused, selects the field so Ctrl+C copies it. */
async function copy(input: HTMLInputElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch {
    input.select();
    return false;
  }
}

/** The secret of a key just created: shown this once, with a copy button, and gone when dismissed or on leaving the page. */
function secretBox(created: { name: string; key: string }, dismiss: () => void): HTMLElement {
  const input = h('input', {
    id: 'new-key-secret',
    readonly: true,
    value: created.key,
    class: 'secret',
    'aria-label': `Secret of ${created.name}`,
    spellcheck: 'false',
  });
  const said = h('span', { class: 'muted', role: 'status', id: 'new-key-copied' });
  const copyBtn = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-primary btn-small',
      id: 'new-key-copy',
      onClick: () => {
        void copy(input).then((ok) => {
          said.textContent = ok ? 'Copied.' : 'Selected: press Ctrl+C (⌘C) to copy.';
        });
      },
    },
    'Copy',
  );
  const box = h(
    'section',
    { class: 'secret-box', id: 'new-key', 'aria-label': 'New API key', tabindex: '-1' },
    h(
      'p',
      null,
      h('strong', null, `Key “${created.name}” created.`),
      ' Copy its secret now: it is shown only this once and cannot be read again.',
    ),
    h(
      'div',
      { class: 'secret-row' },
      input,
      copyBtn,
      h('button', { type: 'button', class: 'btn btn-small', id: 'new-key-done', onClick: dismiss }, 'Done'),
    ),
    said,
  );
  queueMicrotask(() => box.focus());
  return box;
}

/** API keys: create one with a scope (its secret shown once), list them with their last use, revoke one. */
export function keysPage({ signal }: PageContext): HTMLElement {
  const listBox = h('div', null);
  const secret = h('div', null);
  const status = h('span', { class: 'muted', role: 'status', id: 'keys-status' });
  const name = h('input', { id: 'key-name', name: 'name', required: true, maxlength: '200', autocomplete: 'off' });
  const scope = h(
    'select',
    { id: 'key-scope', name: 'scope' },
    SCOPES.map(([v, l]) => h('option', { value: v }, l)),
  );
  scope.value = 'ingest';

  const load = (): void =>
    mount(
      listBox,
      slot(
        api<{ keys: ApiKey[] }>('/api/keys', { signal }),
        (r) =>
          table({
            id: 'api-keys',
            headers: ['Name', 'Scope', 'Key', 'Created', 'Last used', ''],
            items: r.keys,
            empty: 'No API keys.',
            attrs: (k) => ({ 'data-key-id': k.id }),
            row: (k) => [
              h('strong', null, k.name),
              h('span', { class: 'badge badge-soft' }, k.scope),
              h('code', null, `${k.prefix}…`),
              h('span', { class: 'nowrap' }, fmtTime(k.created_at)),
              h('span', { class: 'nowrap' }, k.last_used_at ? fmtTime(k.last_used_at) : 'never'),
              deleteButton('Revoke', `Revoke key ${k.name}`, () => revoke(k)),
            ],
          }),
        signal,
      ),
    );

  const revoke = (k: ApiKey): void =>
    confirmedDelete({
      title: 'Revoke API key',
      confirmLabel: 'Revoke key',
      message: `Revoke “${k.name}” (${k.prefix}…)? Everything that sends or reads with it is refused from now on.`,
      path: `/api/keys/${encodeURIComponent(k.id)}`,
      status,
      done: `Revoked ${k.name}.`,
      then: load,
    });

  const form = actionForm(
    'key-form',
    'New API key',
    [field('Name', name, 'what uses it, e.g. checkout-api'), field('Scope', scope)],
    'Create key',
    async () => {
      const created = await api<{ id: string; key: string; name: string }>('/api/keys', {
        method: 'POST',
        body: { name: name.value, scope: scope.value },
      });
      name.value = '';
      mount(
        secret,
        secretBox(created, () => {
          secret.replaceChildren();
          name.focus();
        }),
      );
      load();
    },
  );
  load();
  return h(
    'div',
    { class: 'page' },
    h(
      'div',
      { class: 'grid' },
      card('New API key', [form, secret], { wide: true, id: 'card-new-key' }),
      card('API keys', listBox, { wide: true, id: 'card-keys', actions: status }),
    ),
  );
}
