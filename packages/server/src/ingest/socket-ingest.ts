import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { Ingestor } from './ingestor.js';
import type { LineAuth, LineGate } from './line-auth.js';

/** The TCP and UDP JSON-lines listeners. */
export interface SocketIngest {
  tcpPort: number;
  udpPort: number;
  close(): Promise<void>;
}

const MAX_LINE = 1024 * 1024;

/**
 * Listens for JSON lines on TCP (one event per line, like Logstash's json_lines codec) and UDP (one or more lines
 * per datagram) on the same port. Lines go through the same ingest path as HTTP; invalid lines are dropped and
 * counted (there is no reply channel). TCP lines are batched per read so a burst is one transaction. `auth` checks
 * the `AUTH <key>` lines (see `LineAuth`): a refused TCP connection gets `ERR <reason>` and is closed, a refused UDP
 * datagram is dropped.
 */
export async function startSocketIngest(ingestor: Ingestor, host: string, port: number, onError: (error: Error) => void, auth: LineAuth): Promise<SocketIngest> {
  const sockets = new Set<Socket>();
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>): void => {
    pending.add(work);
    void work.catch((error: Error) => onError(error)).finally(() => pending.delete(work));
  };
  const admit = async (gate: LineGate, lines: string[], socket?: Socket): Promise<void> => {
    const passed = await gate.pass(lines);
    if (passed.lines.length > 0) await ingestor.ingestLines(passed.lines);
    if (passed.refused !== undefined) socket?.end(`ERR ${passed.refused}\n`);
  };
  const tcp: Server = createServer((socket) => {
    sockets.add(socket);
    const gate = auth.gate();
    let rest = '';
    // Process batches in order per connection so the events of one stream are committed in order.
    let chain: Promise<unknown> = Promise.resolve();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const text = rest + chunk;
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      if (rest.length > MAX_LINE) rest = '';
      if (lines.length > 0) track((chain = chain.then(() => admit(gate, lines, socket))));
    });
    socket.on('end', () => {
      if (rest.trim() !== '') {
        const last = rest;
        track((chain = chain.then(() => admit(gate, [last], socket))));
      }
      rest = '';
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, host, () => resolve());
  });
  const tcpPort = (tcp.address() as { port: number }).port;
  const udp: UdpSocket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  udp.on('message', (message) => track(admit(auth.gate(), message.toString('utf8').split('\n'))));
  udp.on('error', (error) => onError(error));
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(tcpPort, host, () => resolve());
  });
  return {
    tcpPort,
    udpPort: udp.address().port,
    async close() {
      await new Promise<void>((resolve) => {
        tcp.close(() => resolve());
        for (const socket of sockets) {
          socket.end();
          setTimeout(() => socket.destroy(), 2000).unref();
        }
      });
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      await Promise.allSettled([...pending]);
    },
  };
}
