// Resolves the route template (`/shops/:shopId/products/:id`) of a request after routing, for Express 4 and 5,
// without patching Express: `req.route` is the Route object that handled the request; we find it in the app's
// router tree and join the mount-path templates of the routers above it. The tree walk runs once per Route
// object (cached); the per-request cost is a WeakMap lookup.

interface LayerKey {
  name: string | number;
  optional?: boolean;
}

interface LayerLike {
  handle?: unknown;
  route?: unknown;
  /** Express 5 (router 2): the path the layer was mounted with. */
  rawPath?: unknown;
  /** Express 4: the compiled mount path, and its parameter keys. */
  regexp?: RegExp & { fast_slash?: boolean; fast_star?: boolean };
  keys?: LayerKey[];
}

/** Route template of a request that matched no route and got a 404. */
export const UNMATCHED_ROUTE = 'unmatched';

const MAX_DEPTH = 32;
const routeCache = new WeakMap<object, readonly string[]>();
const mountCache = new WeakMap<object, string>();

function pathText(path: unknown): string {
  if (typeof path === 'string') return path;
  if (path instanceof RegExp) return String(path);
  if (Array.isArray(path)) return path.map(pathText).join('|');
  return '';
}

function trimMount(path: string): string {
  return path === '/' ? '' : path.endsWith('/') ? path.slice(0, -1) : path;
}

// Express 4 keeps only the compiled regexp of a mount path (path-to-regexp 0.1): turn the common forms back
// into a template, and fall back to the regexp itself for anything unusual (a user-supplied RegExp).
const PARAM_GROUP = /\(\?:\\\/\(\[\^\/\]\+\?\)\)(\?)?/g;
const STAR_GROUP = /\(\.\*\)/g;
const END_SUFFIX = /\\\/\?(?:\(\?=\\\/\|\$\)|\$)$/;
const REGEXP_SYNTAX = /(?<!\\)[()[\]|+?{}^$.*]/;

function decompile(layer: LayerLike): string {
  const rx = layer.regexp;
  if (!rx || rx.fast_slash) return '';
  if (rx.fast_star) return '*';
  const keys = layer.keys ?? [];
  let i = 0;
  let src = rx.source.replace(/^\^/, '').replace(END_SUFFIX, '');
  src = src.replace(PARAM_GROUP, (_m, optional: string | undefined) => {
    const key = keys[i++];
    return `\uE000${String(key?.name ?? i - 1)}${optional ? '\uE002' : ''}`;
  });
  src = src.replace(STAR_GROUP, '\uE001');
  if (REGEXP_SYNTAX.test(src)) return String(rx);
  return trimMount(
    src
      .replace(/\\(.)/g, '$1')
      .replace(/\uE000/g, '/:')
      .replace(/\uE001/g, '*')
      .replace(/\uE002/g, '?'),
  );
}

function mountTemplate(layer: LayerLike): string {
  let cached = mountCache.get(layer);
  if (cached === undefined) {
    cached = layer.rawPath !== undefined ? trimMount(pathText(layer.rawPath)) : decompile(layer);
    mountCache.set(layer, cached);
  }
  return cached;
}

function routerStack(handle: unknown): LayerLike[] | undefined {
  const stack = (handle as { stack?: unknown } | null | undefined)?.stack;
  return Array.isArray(stack) ? (stack as LayerLike[]) : undefined;
}

function collect(stack: LayerLike[], route: object, prefix: string, out: string[], depth: number): void {
  if (depth > MAX_DEPTH) return;
  for (const layer of stack) {
    if (layer.route === route) {
      const path = pathText((route as { path?: unknown }).path);
      // A router's index route (`router.get('/')`) is the mount path itself: `/shops/:id`, not `/shops/:id/`.
      out.push(prefix !== '' && path === '/' ? prefix : prefix + path);
    } else if (layer.route === undefined) {
      const sub = routerStack(layer.handle);
      if (sub) collect(sub, route, prefix + mountTemplate(layer), out, depth + 1);
    }
  }
}

function appRouter(app: unknown): unknown {
  if (typeof app !== 'function' && (typeof app !== 'object' || app === null)) return undefined;
  // Express 4 keeps its router in `_router` (its `app.router` getter throws); Express 5 in `app.router`.
  const a = app as { _router?: unknown; router?: unknown };
  try {
    return '_router' in a && a._router ? a._router : a.router;
  } catch {
    return undefined;
  }
}

function segmentsMatch(template: string, path: string): boolean {
  const t = template.split('/');
  const p = path.split('/');
  const required = t.filter((s) => !(s.startsWith(':') && s.endsWith('?'))).length;
  if (p.length < required || p.length > t.length) return false;
  for (let i = 0, j = 0; i < t.length && j < p.length; i++) {
    const seg = t[i] ?? '';
    if (seg.startsWith(':') || seg === '*') {
      if (seg.endsWith('?') && p.length - j < t.length - i) continue;
      j++;
    } else if (seg !== p[j++]) return false;
  }
  return true;
}

/**
 * The route template of a request after routing: the mount templates of the routers it went through plus the
 * matched route's path; `unmatched` for a 404 that matched no route; `undefined` when no route handled it
 * (e.g. a static file), so raw URLs never become route labels.
 */
export function resolveRouteTemplate(
  req: {
    route?: { path?: unknown } | undefined;
    app?: unknown;
    baseUrl?: string | undefined;
    originalUrl?: string | undefined;
    url?: string | undefined;
  },
  statusCode: number,
): string | undefined {
  const route = req.route;
  if (!route || typeof route !== 'object') return statusCode === 404 ? UNMATCHED_ROUTE : undefined;
  let candidates = routeCache.get(route);
  if (candidates === undefined) {
    const out: string[] = [];
    const stack = routerStack(appRouter(req.app));
    if (stack) collect(stack, route, '', out, 0);
    candidates = out;
    routeCache.set(route, candidates);
  }
  if (candidates.length === 1) return candidates[0];
  if (candidates.length > 1) {
    // One Route mounted at several paths: pick the template that fits this request's path.
    const raw = req.originalUrl ?? req.url ?? '';
    const q = raw.indexOf('?');
    const path = q === -1 ? raw : raw.slice(0, q);
    return candidates.find((t) => segmentsMatch(t, path)) ?? candidates[0];
  }
  // Not found in the tree (e.g. inside a mounted sub-app): fall back to the concrete mount path.
  return (req.baseUrl ?? '') + pathText(route.path);
}
