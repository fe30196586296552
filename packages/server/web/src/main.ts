import './styles.css';
import 'uplot/dist/uPlot.min.css';
import { api, logout, me, onUnauthorized } from './api.js';
import { errorBox, h, icon, loading, mount } from './dom.js';
import { alertsPage } from './pages/alerts.js';
import { eventPage } from './pages/event.js';
import { fraudPage } from './pages/fraud.js';
import { keysPage } from './pages/keys.js';
import { loginPage } from './pages/login.js';
import { overviewPage } from './pages/overview.js';
import { performancePage } from './pages/performance.js';
import { pluginsPage } from './pages/plugins.js';
import { salesPage } from './pages/sales.js';
import { savedPage } from './pages/saved.js';
import { searchPage } from './pages/search.js';
import { tailPage } from './pages/tail.js';
import { uploadPage } from './pages/upload.js';
import { usersPage } from './pages/users.js';
import { rangePicker } from './range-picker.js';
import { currentRoute, href } from './state.js';
import type { Route } from './state.js';
import type { Session } from './types.js';

/** What a page receives: its route, the session, and a signal aborted when the person leaves the page. */
export interface PageContext {
  route: Route;
  session: Session;
  signal: AbortSignal;
}

interface PageDef {
  title: string;
  nav: boolean;
  /** Roles that may use the page (the server enforces it; this only hides what would answer 403). */
  roles?: readonly string[];
  usesRange: boolean;
  icon: string[];
  render: (ctx: PageContext) => HTMLElement;
}

const PAGES: Record<string, PageDef> = {
  overview: {
    title: 'Overview',
    nav: true,
    usesRange: true,
    icon: ['M3 13h8V3H3zm0 8h8v-6H3zm10 0h8V11h-8zm0-18v6h8V3z'],
    render: overviewPage,
  },
  search: {
    title: 'Search',
    nav: true,
    usesRange: true,
    icon: ['M10 4a6 6 0 1 0 0 12 6 6 0 0 0 0-12zm0-2a8 8 0 0 1 6.3 12.9l5.4 5.4-1.4 1.4-5.4-5.4A8 8 0 1 1 10 2z'],
    render: searchPage,
  },
  tail: {
    title: 'Live tail',
    nav: true,
    usesRange: false,
    icon: ['M2 12h4l3-8 4 16 3-8h6v2h-4.6L13 24 9 8l-1.6 6H2z'],
    render: tailPage,
  },
  performance: {
    title: 'Performance',
    nav: true,
    usesRange: true,
    icon: ['M12 3a10 10 0 0 0-10 10h2a8 8 0 0 1 16 0h2A10 10 0 0 0 12 3zm4.2 4.4-5 5a2 2 0 1 0 1.4 1.4l5-5z'],
    render: performancePage,
  },
  sales: {
    title: 'Sales & funnel',
    nav: true,
    usesRange: true,
    icon: ['M3 20h18v2H3zm2-8h3v6H5zm5-5h3v11h-3zm5 3h3v8h-3z'],
    render: salesPage,
  },
  fraud: {
    title: 'Fraud alerts',
    nav: true,
    usesRange: true,
    icon: ['M12 2 4 5v6c0 5 3.4 9.7 8 11 4.6-1.3 8-6 8-11V5zm-1 5h2v6h-2zm0 8h2v2h-2z'],
    render: fraudPage,
  },
  upload: {
    title: 'Upload',
    nav: true,
    roles: ['analyst', 'admin'],
    usesRange: false,
    icon: ['M11 16V7.8L7.4 11.4 6 10l6-6 6 6-1.4 1.4L13 7.8V16zm-7 2h16v2H4z'],
    render: uploadPage,
  },
  saved: {
    title: 'Saved searches',
    nav: true,
    usesRange: false,
    icon: ['M6 2h12a1 1 0 0 1 1 1v19l-7-4-7 4V3a1 1 0 0 1 1-1zm1 2v14.6l5-2.9 5 2.9V4z'],
    render: savedPage,
  },
  alerts: {
    title: 'Alert rules',
    nav: true,
    usesRange: false,
    icon: [
      'M12 22a2.5 2.5 0 0 0 2.5-2.5h-5A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.8V3a1.5 1.5 0 0 0-3 0v1.2A7 7 0 0 0 5 11v5l-2 2v1h18v-1z',
    ],
    render: alertsPage,
  },
  plugins: {
    title: 'Plugins & health',
    nav: true,
    usesRange: false,
    icon: ['M9 2h2v4h2V2h2v4h2a1 1 0 0 1 1 1v4a6 6 0 0 1-5 5.9V22h-2v-5.1A6 6 0 0 1 6 11V7a1 1 0 0 1 1-1h2z'],
    render: pluginsPage,
  },
  keys: {
    title: 'API keys',
    nav: true,
    roles: ['admin'],
    usesRange: false,
    icon: ['M7 14a3 3 0 1 1 0-6 3 3 0 0 1 0 6zm5.6-4A6 6 0 1 0 12.6 14H16v3h3v-3h2v-4z'],
    render: keysPage,
  },
  users: {
    title: 'Users & roles',
    nav: true,
    roles: ['admin'],
    usesRange: false,
    icon: [
      'M9 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm0 2c-3.3 0-7 1.7-7 4v2h14v-2c0-2.3-3.7-4-7-4zm8-2a3 3 0 1 0 0-6v6zm1.5 2.2c1.5.8 2.5 2 2.5 3.8v2h2v-2c0-1.7-1.9-3.1-4.5-3.8z',
    ],
    render: usersPage,
  },
  event: { title: 'Event', nav: false, usesRange: false, icon: [], render: eventPage },
};

const root = document.getElementById('app') ?? document.body;
let session: Session | null = null;
let pageAbort: AbortController | null = null;

function showLogin(): void {
  pageAbort?.abort();
  session = null;
  document.title = 'Sign in · Shoplog';
  mount(
    root,
    loginPage((s) => {
      session = s;
      render();
    }),
  );
}

function shell(route: Route, def: PageDef, content: HTMLElement): HTMLElement {
  const s = session as Session;
  const keep = new URLSearchParams();
  for (const k of ['range', 'from', 'to']) {
    const v = route.params.get(k);
    if (v) keep.set(k, v);
  }
  const nav = h(
    'nav',
    { class: 'sidenav', 'aria-label': 'Main' },
    h('a', { class: 'brand', href: href('overview', keep) }, h('span', { class: 'brand-mark' }, 'S'), 'Shoplog'),
    h(
      'ul',
      null,
      Object.entries(PAGES)
        .filter(([, p]) => p.nav && (!p.roles || p.roles.includes(s.user.role)))
        .map(([id, p]) =>
          h(
            'li',
            null,
            h(
              'a',
              { href: href(id, keep), 'aria-current': id === route.view ? 'page' : null },
              icon(p.icon),
              h('span', null, p.title),
            ),
          ),
        ),
    ),
    h(
      'div',
      { class: 'nav-user' },
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, s.user.username.slice(0, 1).toUpperCase()),
      h('span', { class: 'nav-user-name' }, h('strong', null, s.user.username), h('small', null, s.user.role)),
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-ghost btn-small',
          id: 'logout',
          onClick: () => {
            logout().then(showLogin, showLogin);
          },
        },
        'Sign out',
      ),
    ),
  );
  const top = h('header', { class: 'topbar' }, h('h1', null, def.title), def.usesRange ? rangePicker() : null);
  const notice = h('div', { class: 'server-notice', id: 'server-notice', role: 'status', hidden: true });
  const main = h('main', { class: 'content', id: 'main', tabindex: '-1' }, notice, top, content);
  showServerNotice(notice);
  // A button, not an in-page link: a `#main` fragment would be read as a route.
  const skip = h('button', { type: 'button', class: 'skip-link', onClick: () => main.focus() }, 'Skip to content');
  return h('div', { class: 'layout' }, skip, nav, main);
}

/** Says on every page why ingest is refused (the disk guard of `/api/dashboard/health`), so nobody wonders where new events went. */
function showServerNotice(box: HTMLElement): void {
  api<{ disk?: { status: string; message?: string } }>(
    '/api/dashboard/health',
    pageAbort ? { signal: pageAbort.signal } : {},
  ).then(
    (health) => {
      if (!health.disk || health.disk.status === 'ok') return;
      box.textContent = `Ingest is paused (events are refused with 507 and kept by the senders until it resumes): ${health.disk.message ?? health.disk.status}`;
      box.hidden = false;
    },
    () => {}, // the page reports its own errors; this notice is a bonus
  );
}

function render(): void {
  if (!session) {
    showLogin();
    return;
  }
  pageAbort?.abort();
  pageAbort = new AbortController();
  const route = currentRoute();
  const def = PAGES[route.view] ?? PAGES.overview!;
  document.title = `${def.title} · Shoplog`;
  let content: HTMLElement;
  try {
    content =
      def.roles && !def.roles.includes(session.user.role)
        ? errorBox(
            new Error(`This page needs the ${def.roles.join(' or ')} role; you are signed in as ${session.user.role}.`),
          )
        : def.render({ route, session, signal: pageAbort.signal });
  } catch (e) {
    content = errorBox(e);
  }
  mount(root, shell(route, def, content));
}

onUnauthorized(() => {
  if (session) showLogin();
});
window.addEventListener('hashchange', render);
// Chart colours are read from the palette when drawn, so redraw when the OS switches light/dark.
window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
  if (session) render();
});
// "/" focuses the page's search or filter box, as in most log tools.
document.addEventListener('keydown', (e) => {
  const target = e.target as HTMLElement | null;
  if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || target?.closest('input, select, textarea')) return;
  const box = document.querySelector<HTMLInputElement>('#search-input, #tail-q');
  if (box) {
    e.preventDefault();
    box.focus();
  }
});
mount(root, loading('Starting…'));
me().then(
  (s) => {
    session = s;
    render();
  },
  (e: unknown) => mount(root, h('main', { class: 'login-page' }, errorBox(e))),
);
