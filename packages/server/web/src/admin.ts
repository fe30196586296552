// Building blocks of the management pages (alerts, keys, users, saved searches): labelled form fields, a form
// that reports the API's field errors, a data table, a row's delete button and a confirmation dialog for what cannot
// be undone.
import { api, ApiError } from './api.js';
import { empty, h } from './dom.js';
import type { Child } from './dom.js';

/** A label and its control, stacked; `hint` is tied to the control with aria-describedby. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLElement {
  const hintId = hint ? `${control.id}-hint` : null;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h(
    'div',
    { class: 'field' },
    h('label', { for: control.id }, label),
    control,
    hint ? h('small', { class: 'muted', id: hintId }, hint) : null,
  );
}

/** The message of an API error with its field issues (`name: must be …`), for a form's error line. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError && error.issues.length > 0) {
    return `${error.message}: ${error.issues.map((i) => (i.path ? `${i.path} ${i.message}` : i.message)).join('; ')}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * A form whose submit runs `action` (the button is disabled meanwhile); a failure is shown in the form's alert
 * line, a success clears it.
 */
export function actionForm(
  id: string,
  label: string,
  fields: Child,
  submitLabel: string,
  action: () => Promise<void>,
): HTMLFormElement {
  const error = h('p', { class: 'form-error', role: 'alert', id: `${id}-error` });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, submitLabel);
  const form = h(
    'form',
    { class: 'admin-form', id, 'aria-label': label },
    h('div', { class: 'form-fields' }, fields, submit),
    error,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit.disabled = true;
    error.textContent = '';
    action().then(
      () => {
        submit.disabled = false;
      },
      (err: unknown) => {
        submit.disabled = false;
        error.textContent = errorText(err);
      },
    );
  });
  return form;
}

/** What {@link table} shows: one row per item, or the empty text when there are none. */
export interface TableOptions<T> {
  /** The table element's id. */
  id: string;
  headers: readonly string[];
  items: readonly T[];
  /** The cells of one item's row. */
  row: (item: T) => readonly Child[];
  /** Attributes of one item's row (e.g. a data attribute the tests and links find it by). */
  attrs?: (item: T) => Record<string, string>;
  /** Shown instead of the table when there are no items; without it an empty table is shown. */
  empty?: string;
}

/** A table with a header row and a row per item, or a muted empty text when there are no items. */
export function table<T>({ id, headers, items, row, attrs, empty: emptyText }: TableOptions<T>): HTMLElement {
  if (items.length === 0 && emptyText !== undefined) return empty(emptyText);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table', id },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headers.map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h(
        'tbody',
        null,
        items.map((item) =>
          h(
            'tr',
            attrs?.(item) ?? null,
            row(item).map((c) => h('td', null, c)),
          ),
        ),
      ),
    ),
  );
}

/**
 * Asks before something that cannot be undone, in a modal dialog (focus starts on Cancel; Escape cancels).
 * Resolves true only when the person confirms.
 */
export function confirmAction(title: string, message: string, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const cancel = h('button', { type: 'button', class: 'btn', value: 'cancel' }, 'Cancel');
    const ok = h('button', { type: 'button', class: 'btn btn-danger', value: 'confirm' }, confirmLabel);
    const dialog = h(
      'dialog',
      {
        class: 'confirm',
        id: 'confirm-dialog',
        'aria-labelledby': 'confirm-title',
        'aria-describedby': 'confirm-message',
      },
      h('h2', { id: 'confirm-title' }, title),
      h('p', { id: 'confirm-message' }, message),
      h('div', { class: 'confirm-actions' }, cancel, ok),
    );
    const done = (answer: boolean): void => {
      if (dialog.open) dialog.close();
      dialog.remove();
      resolve(answer);
    };
    cancel.addEventListener('click', () => done(false));
    ok.addEventListener('click', () => done(true));
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/** Explains, in place of a form, why the signed-in role cannot use it. */
export function roleNote(action: string, roles: readonly string[], role: string): HTMLElement {
  return h(
    'p',
    { class: 'role-note muted', role: 'note' },
    `${action} needs the ${roles.join(' or ')} role; you are signed in as ${role}.`,
  );
}

/** What `confirmedDelete` removes and how it tells the person. */
export interface DeleteAction {
  /** The dialog's title and its confirm button's label. */
  title: string;
  confirmLabel: string;
  /** What will happen, in the dialog. */
  message: string;
  /** The API path of the DELETE. */
  path: string;
  /** Where the outcome is said (`done` on success, the error otherwise). */
  status: HTMLElement;
  done: string;
  /** Runs after a successful delete (reload the list). */
  then: () => void;
}

/** A row's delete (or revoke) button, named for screen readers by `name` (e.g. `Delete user alice`). */
export function deleteButton(label: string, name: string, onClick: () => void): HTMLElement {
  return h('button', { type: 'button', class: 'btn btn-small btn-danger-ghost', 'aria-label': name, onClick }, label);
}

/** Asks (`confirmAction`), then sends the DELETE and says what happened; nothing is sent unless confirmed. */
export function confirmedDelete(action: DeleteAction): void {
  void confirmAction(action.title, action.message, action.confirmLabel).then(async (yes) => {
    if (!yes) return;
    try {
      await api(action.path, { method: 'DELETE' });
      action.status.textContent = action.done;
      action.then();
    } catch (e) {
      action.status.textContent = `Could not delete: ${errorText(e)}`;
    }
  });
}
