/** What a compiled path asks for at the node it ends on. */
export type PathAction = 'redact' | 'allow' | 'exempt' | 'url';

/** A node of the compiled path matcher: one per path segment, `*` matching any one key. */
export interface PathNode {
  readonly children: Map<string, PathNode>;
  star: PathNode | undefined;
  action: PathAction | undefined;
  /** `[this]`, built once: the common single-node step returns it instead of a new array per key per event. */
  readonly alone: readonly PathNode[];
}

const STRENGTH: Record<PathAction, number> = { url: 0, exempt: 0, redact: 1, allow: 2 };

function node(): PathNode {
  const n: { children: Map<string, PathNode>; star: undefined; action: undefined; alone: PathNode[] } = {
    children: new Map(),
    star: undefined,
    action: undefined,
    alone: [],
  };
  n.alone.push(n);
  return n;
}

/** Compiles dotted paths (`http.request.headers.*`, array indexes are transparent) into one matcher. */
export function compilePaths(rules: readonly { path: string; action: PathAction }[]): PathNode {
  const root = node();
  for (const { path, action } of rules) {
    let at = root;
    for (const segment of path.split('.')) {
      if (segment === '*') at = at.star ??= node();
      else {
        let next = at.children.get(segment);
        if (!next) at.children.set(segment, (next = node()));
        at = next;
      }
    }
    // An explicit opt-out wins over a redaction of the same path, which wins over a key exemption.
    if (at.action === undefined || STRENGTH[action] > STRENGTH[at.action]) at.action = action;
  }
  return root;
}

/** The nodes reached from `nodes` by `key`, or `undefined` when the path leaves every rule. */
export function step(nodes: readonly PathNode[], key: string): readonly PathNode[] | undefined {
  if (nodes.length === 1) {
    const n = nodes[0] as PathNode;
    const child = n.children.get(key);
    if (n.star === undefined) return child?.alone;
    if (child === undefined) return n.star.alone;
  }
  let out: PathNode[] | undefined;
  for (const n of nodes) {
    const child = n.children.get(key);
    if (child) (out ??= []).push(child);
    if (n.star) (out ??= []).push(n.star);
  }
  return out;
}

/** The strongest action among `nodes`. */
export function actionOf(nodes: readonly PathNode[]): PathAction | undefined {
  let best: PathAction | undefined;
  for (const n of nodes) {
    if (n.action !== undefined && (best === undefined || STRENGTH[n.action] > STRENGTH[best])) best = n.action;
  }
  return best;
}
