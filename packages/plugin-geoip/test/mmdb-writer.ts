// Writes small MaxMind DB (format 2.0) files for deterministic tests, following the published MaxMind DB spec:
// a binary search tree of 24-bit records, a 16-byte separator, a data section, then the metadata map after the
// "\xAB\xCD\xEFMaxMind.com" marker. npm has no maintained MMDB writer (MaxMind's own writer is in Go).

/** A value the data section can hold. */
export type MmdbValue = string | number | boolean | MmdbValue[] | { [key: string]: MmdbValue };

/** What to write: networks in CIDR notation, each with its record. */
export interface MmdbSpec {
  ipVersion: 4 | 6;
  databaseType: string;
  networks: readonly (readonly [cidr: string, record: MmdbValue])[];
  /** Build time in Unix seconds. @default now */
  buildEpoch?: number;
}

const TYPE = { string: 2, double: 3, uint32: 6, map: 7, int32: 8, array: 11, boolean: 14 } as const;

function control(type: number, size: number): number[] {
  const out: number[] = [];
  let first = type <= 7 ? type << 5 : 0;
  const sizeBytes: number[] = [];
  if (size < 29) {
    first |= size;
  } else if (size < 285) {
    first |= 29;
    sizeBytes.push(size - 29);
  } else if (size < 65_821) {
    first |= 30;
    sizeBytes.push(((size - 285) >> 8) & 0xff, (size - 285) & 0xff);
  } else {
    first |= 31;
    sizeBytes.push(((size - 65_821) >> 16) & 0xff, ((size - 65_821) >> 8) & 0xff, (size - 65_821) & 0xff);
  }
  out.push(first);
  if (type > 7) out.push(type - 7); // extended type: the type byte follows the control byte
  return [...out, ...sizeBytes];
}

function encode(value: MmdbValue): number[] {
  if (typeof value === 'string') {
    const bytes = [...Buffer.from(value, 'utf8')];
    return [...control(TYPE.string, bytes.length), ...bytes];
  }
  if (typeof value === 'boolean') return control(TYPE.boolean, value ? 1 : 0);
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value < 2 ** 32) {
      const bytes: number[] = [];
      for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
      return [...control(TYPE.uint32, bytes.length), ...bytes];
    }
    if (Number.isInteger(value) && value < 0 && value >= -(2 ** 31)) {
      const b = Buffer.alloc(4);
      b.writeInt32BE(value);
      return [...control(TYPE.int32, 4), ...b];
    }
    const b = Buffer.alloc(8);
    b.writeDoubleBE(value);
    return [...control(TYPE.double, 8), ...b];
  }
  if (Array.isArray(value)) return [...control(TYPE.array, value.length), ...value.flatMap(encode)];
  const entries = Object.entries(value);
  return [...control(TYPE.map, entries.length), ...entries.flatMap(([k, v]) => [...encode(k), ...encode(v)])];
}

/** The network's leading bits, in the tree's address space (IPv4 sits at ::/96 of an IPv6 tree). */
function bitsOf(cidr: string, ipVersion: 4 | 6): number[] {
  const [ip = '', length = ''] = cidr.split('/');
  let bytes: number[];
  if (ip.includes(':')) {
    const [head = '', tail = ''] = ip.split('::');
    const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
    const left = groups(head);
    const right = groups(tail);
    const all = [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
    bytes = all.flatMap((g) => [g >> 8, g & 0xff]);
  } else {
    bytes = ip.split('.').map(Number);
    if (ipVersion === 6) bytes = [...Array<number>(12).fill(0), ...bytes];
  }
  const prefix = Number(length) + (ipVersion === 6 && !ip.includes(':') ? 96 : 0);
  const bits: number[] = [];
  for (let i = 0; i < prefix; i++) bits.push(((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1);
  return bits;
}

interface TreeNode {
  children: [Child, Child];
}
type Child = TreeNode | { leaf: number } | undefined;

/** Builds the bytes of an MMDB file holding `spec.networks` (a later, more specific network wins inside an earlier one). */
export function writeMmdb(spec: MmdbSpec): Buffer {
  const root: TreeNode = { children: [undefined, undefined] };
  spec.networks.forEach(([cidr], leaf) => {
    const bits = bitsOf(cidr, spec.ipVersion);
    let node = root;
    bits.forEach((bit, depth) => {
      if (depth === bits.length - 1) {
        node.children[bit as 0 | 1] = { leaf };
        return;
      }
      let child = node.children[bit as 0 | 1];
      // A broader network already ends here: push its record down both sides before going deeper.
      if (child === undefined || 'leaf' in child) child = node.children[bit as 0 | 1] = { children: [child, child] };
      node = child;
    });
  });
  // Number the nodes breadth first; the root is node 0.
  const nodes: TreeNode[] = [root];
  for (let i = 0; i < nodes.length; i++) {
    for (const child of (nodes[i] as TreeNode).children)
      if (child !== undefined && !('leaf' in child)) nodes.push(child);
  }
  const numbers = new Map(nodes.map((n, i) => [n, i]));
  const data: number[] = [];
  const offsets = spec.networks.map(([, record]) => {
    const offset = data.length;
    data.push(...encode(record));
    return offset;
  });
  const nodeCount = nodes.length;
  const recordOf = (child: Child): number =>
    child === undefined
      ? nodeCount
      : 'leaf' in child
        ? nodeCount + 16 + (offsets[child.leaf] ?? 0)
        : (numbers.get(child) ?? 0);
  const tree: number[] = [];
  for (const node of nodes) {
    for (const child of node.children) {
      const r = recordOf(child);
      if (r >= 2 ** 24) throw new Error('test database too large for 24-bit records');
      tree.push((r >> 16) & 0xff, (r >> 8) & 0xff, r & 0xff);
    }
  }
  const metadata = encode({
    node_count: nodeCount,
    record_size: 24,
    ip_version: spec.ipVersion,
    database_type: spec.databaseType,
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: spec.buildEpoch ?? Math.floor(Date.now() / 1000),
    description: { en: `${spec.databaseType} test database` },
  });
  const marker = [0xab, 0xcd, 0xef, ...Buffer.from('MaxMind.com', 'latin1')];
  return Buffer.from([...tree, ...Array<number>(16).fill(0), ...data, ...marker, ...metadata]);
}
