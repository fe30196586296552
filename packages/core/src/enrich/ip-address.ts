/** An IP address as bytes: four for IPv4, sixteen for IPv6 (an IPv4-mapped `::ffff:a.b.c.d` stays IPv6). */
export interface IpAddress {
  readonly version: 4 | 6;
  readonly bytes: number[];
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?::\d+)?$/;

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return out.every((n) => n >= 0 && n <= 255) ? out : undefined;
}

function parseIpv6(text: string): number[] | undefined {
  let head = text;
  const lastColon = head.lastIndexOf(':');
  if (head.includes('.', lastColon)) {
    // Embedded IPv4 (`::ffff:192.0.2.1`): rewrite its four bytes as two hex groups.
    const v4 = parseIpv4(head.slice(lastColon + 1));
    if (!v4) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = v4;
    head = `${head.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const read = (s: string) =>
    s === '' ? [] : s.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN));
  const left = read(halves[0] ?? '');
  const right = halves.length === 2 ? read(halves[1] ?? '') : [];
  const fill = 8 - left.length - right.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const groups = [...left, ...Array<number>(halves.length === 2 ? fill : 0).fill(0), ...right];
  if (!groups.every((g) => g >= 0 && g <= 0xffff)) return undefined;
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/**
 * Parses an IPv4 or IPv6 address as found in logs: surrounding spaces, `[v6]`, a trailing `:port` and an IPv6
 * `%zone` are tolerated. `undefined` when the text is not an address.
 */
export function parseIpAddress(ip: string): IpAddress | undefined {
  const text = ip.trim();
  // IPv4 (with an optional port) in one match: the common case, on the hot path of enrichers.
  const m = IPV4.exec(text);
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    const c = Number(m[3]);
    const d = Number(m[4]);
    return a > 255 || b > 255 || c > 255 || d > 255 ? undefined : { version: 4, bytes: [a, b, c, d] };
  }
  const v6 = parseIpv6(text.replace(/^\[|\](?::\d+)?$/g, '').replace(/%.*$/, ''));
  return v6 ? { version: 6, bytes: v6 } : undefined;
}
