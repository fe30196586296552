import { ApiError, login } from '../api.js';
import { h } from '../dom.js';
import type { Session } from '../types.js';

/** The sign-in page; calls `done` with the session (the cookie is set by the server, nothing is stored here). */
export function loginPage(done: (s: Session) => void): HTMLElement {
  const user = h('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', {
    id: 'login-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const error = h('p', { class: 'form-error', role: 'alert', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Sign in');
  const form = h(
    'form',
    { class: 'login-form', 'aria-label': 'Sign in' },
    h('div', { class: 'brand brand-large' }, h('span', { class: 'brand-mark' }, 'S'), 'Shoplog'),
    h('p', { class: 'muted' }, 'Sign in to your shop’s monitoring.'),
    h('label', { for: 'login-username' }, 'Username'),
    user,
    h('label', { for: 'login-password' }, 'Password'),
    pass,
    error,
    submit,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit.disabled = true;
    error.textContent = '';
    login(user.value, pass.value)
      .then(done)
      .catch((err: unknown) => {
        error.textContent =
          err instanceof ApiError && err.status === 401
            ? 'Wrong username or password.'
            : err instanceof Error
              ? err.message
              : String(err);
        submit.disabled = false;
        pass.select();
      });
  });
  queueMicrotask(() => user.focus());
  return h('main', { class: 'login-page' }, form);
}
