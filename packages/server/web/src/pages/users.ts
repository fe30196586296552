import { actionForm, confirmedDelete, deleteButton, errorText, field, table } from '../admin.js';
import { api } from '../api.js';
import { card, h, mount } from '../dom.js';
import { fmtTime } from '../format.js';
import type { PageContext } from '../main.js';
import type { UserRow } from '../types.js';
import { slot } from '../widgets.js';

const ROLES = ['viewer', 'analyst', 'admin'];
const ROLES_HINT =
  'viewer reads; analyst also uploads, saves searches and manages alert rules; admin also manages users and keys';

/** Users and roles: create a user, change another user's role, delete another user. */
export function usersPage({ session, signal }: PageContext): HTMLElement {
  const listBox = h('div', null);
  const status = h('span', { class: 'muted', role: 'status', id: 'users-status' });
  const username = h('input', {
    id: 'user-name',
    name: 'username',
    required: true,
    autocomplete: 'off',
    pattern: '[A-Za-z0-9_.@\\-]{2,64}',
  });
  const password = h('input', {
    id: 'user-password',
    name: 'password',
    type: 'password',
    required: true,
    minlength: '12',
    autocomplete: 'new-password',
  });
  const role = h(
    'select',
    { id: 'user-role', name: 'role' },
    ROLES.map((v) => h('option', { value: v }, v)),
  );

  const roleSelect = (u: UserRow): HTMLElement => {
    const self = u.id === session.user.id;
    const select = h(
      'select',
      {
        'aria-label': `Role of ${u.username}`,
        class: 'role-select',
        disabled: self,
        title: self ? 'Another admin can change your role.' : null,
      },
      ROLES.map((v) => h('option', { value: v }, v)),
    );
    select.value = u.role;
    select.addEventListener('change', () => {
      select.disabled = true;
      api(`/api/users/${encodeURIComponent(u.id)}`, { method: 'PATCH', body: { role: select.value } }).then(
        () => {
          status.textContent = `${u.username} is now ${select.value}.`;
          u.role = select.value;
          select.disabled = false;
        },
        (e: unknown) => {
          status.textContent = `Could not change the role: ${errorText(e)}`;
          select.value = u.role;
          select.disabled = false;
        },
      );
    });
    return select;
  };

  const remove = (u: UserRow): void =>
    confirmedDelete({
      title: 'Delete user',
      confirmLabel: 'Delete user',
      message: `Delete ${u.username}? They are signed out at once and cannot sign in again.`,
      path: `/api/users/${encodeURIComponent(u.id)}`,
      status,
      done: `Deleted ${u.username}.`,
      then: () => load(),
    });

  const load = (): void =>
    mount(
      listBox,
      slot(
        api<{ users: UserRow[] }>('/api/users', { signal }),
        (r) =>
          table({
            id: 'users',
            headers: ['User', 'Role', 'Created', ''],
            items: r.users,
            empty: 'No users.',
            attrs: (u) => ({ 'data-user': u.username }),
            row: (u) => [
              h('strong', null, u.username, u.id === session.user.id ? h('span', { class: 'muted' }, ' (you)') : null),
              roleSelect(u),
              h('span', { class: 'nowrap' }, fmtTime(u.created_at)),
              u.id === session.user.id ? '' : deleteButton('Delete', `Delete user ${u.username}`, () => remove(u)),
            ],
          }),
        signal,
      ),
    );

  const form = actionForm(
    'user-form',
    'New user',
    [
      field('Username', username, '2 to 64 letters, digits or _.@-'),
      field('Password', password, 'at least 12 characters'),
      field('Role', role, ROLES_HINT),
    ],
    'Create user',
    async () => {
      const created = await api<UserRow>('/api/users', {
        method: 'POST',
        body: { username: username.value, password: password.value, role: role.value },
      });
      username.value = '';
      password.value = '';
      status.textContent = `Created ${created.username} (${created.role}).`;
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
      card('New user', form, { wide: true, id: 'card-new-user' }),
      card('Users', listBox, { wide: true, id: 'card-users', actions: status }),
    ),
  );
}
