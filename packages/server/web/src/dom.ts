/** A child accepted by `h`: nodes, text (always inserted as text, never parsed as HTML), or nothing. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** Attributes for `h`: `on*` keys add listeners, `true` sets a boolean attribute, null/false/undefined skip it. */
export type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child as readonly Child[]) append(parent, c);
  } else if (child instanceof Node) {
    parent.appendChild(child);
  } else {
    // Log data only ever reaches the page through text nodes: no HTML parsing, no injection.
    parent.appendChild(document.createTextNode(String(child)));
  }
}

/** Creates an element with attributes and children; the only way the page builds DOM. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (typeof value === 'function') {
        el.addEventListener(key.slice(2).toLowerCase(), value);
      } else if (key === 'value' && (el instanceof HTMLInputElement || el instanceof HTMLSelectElement)) {
        el.value = String(value);
      } else {
        el.setAttribute(key, value === true ? '' : String(value));
      }
    }
  }
  for (const c of children) append(el, c);
  return el;
}

/** Creates an SVG icon from a list of path definitions (static, trusted strings only). */
export function icon(paths: readonly string[]): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  for (const d of paths) {
    const p = document.createElementNS(ns, 'path');
    p.setAttribute('d', d);
    svg.appendChild(p);
  }
  return svg;
}

/** Replaces all children of `el`. */
export function mount(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  for (const c of children) append(el, c);
}

/** A card with a title, optional actions and a body. */
export function card(
  title: string,
  body: Child,
  opts: { wide?: boolean; actions?: Child; id?: string } = {},
): HTMLElement {
  return h(
    'section',
    { class: opts.wide ? 'card card-wide' : 'card', id: opts.id ?? null, 'aria-label': title },
    h('header', { class: 'card-head' }, h('h2', null, title), opts.actions ?? null),
    h('div', { class: 'card-body' }, body),
  );
}

/** A loading placeholder. */
export function loading(label = 'Loading…'): HTMLElement {
  return h('div', { class: 'state state-loading', role: 'status' }, h('span', { class: 'spinner' }), label);
}

/** An empty-state message. */
export function empty(message: string): HTMLElement {
  return h('div', { class: 'state state-empty' }, message);
}

/** An error message shown to the person (not only in the console). */
export function errorBox(error: unknown): HTMLElement {
  const message = error instanceof Error ? error.message : String(error);
  return h('div', { class: 'state state-error', role: 'alert' }, h('strong', null, 'Could not load. '), message);
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the character references of HTML-escaped text back into plain text (the result is only ever used as text). */
export function unescapeHtml(text: string): string {
  return text.replace(/&(#\d+|#x[0-9a-f]+|amp|lt|gt|quot|apos);/gi, (whole, ref: string) => {
    if (ref[0] !== '#') return NAMED[ref.toLowerCase()] ?? whole;
    const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/**
 * Renders a server highlight (the message HTML-escaped, matches wrapped in `<mark>`) as text nodes and mark
 * elements only: the tags are split out, the rest is unescaped into text, nothing is parsed as HTML.
 */
export function highlighted(text: string): DocumentFragment {
  const frag = document.createDocumentFragment();
  const parts = text.split(/(<mark>|<\/mark>)/);
  let inMark = false;
  for (const part of parts) {
    if (part === '<mark>') inMark = true;
    else if (part === '</mark>') inMark = false;
    else if (part)
      frag.appendChild(inMark ? h('mark', null, unescapeHtml(part)) : document.createTextNode(unescapeHtml(part)));
  }
  return frag;
}
