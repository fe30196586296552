import { readFile } from 'node:fs/promises';

/**
 * Datagrams the kernel dropped for the UDP socket bound to `port` because its receive buffer was full: the `drops`
 * column of `/proc/net/udp` (`udp6` for IPv6), summed over the sockets on that port. `undefined` where there is no
 * such file (not Linux). Node has no per-socket counter of its own (`SO_RXQ_OVFL` is not exposed).
 */
export async function readUdpDrops(port: number, ipv6: boolean): Promise<number | undefined> {
  let table: string;
  try {
    table = await readFile(ipv6 ? '/proc/net/udp6' : '/proc/net/udp', 'utf8');
  } catch {
    return undefined;
  }
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let drops = 0;
  for (const row of table.split('\n').slice(1)) {
    const columns = row.trim().split(/\s+/);
    if (columns[1]?.endsWith(suffix)) drops += Number(columns.at(-1)) || 0;
  }
  return drops;
}
