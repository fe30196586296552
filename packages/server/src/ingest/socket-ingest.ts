import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { Ingestor } from './ingestor.js';
import { createLineBatcher, createLineStats, type LineStats } from './line-feed.js';
import type { LineAuth } from './line-auth.js';
import { lineTooLong } from './limits.js';
import { createLineSplitter } from './line-splitter.js';
import { readUdpDrops } from './udp-drops.js';

/** What the listeners did with the lines they read (`GET /api/dashboard/health` shows it). */
export interface SocketIngestStats {
  /** `refused`: connections refused by the line authentication (their later lines are not read). */
  tcp: LineStats & { connections: number; refused: number };
  udp: LineStats & {
    datagrams: number;
    /** Datagrams refused by the line authentication. */
    refused: number;
    /** Datagrams dropped here because the ingest queue was full (the server could not keep up). */
    dropped: number;
    /** Datagrams the kernel dropped because the receive buffer was full (Linux, from /proc/net/udp; else absent). */
    kernel_drops?: number;
    /** The receive buffer the kernel granted (it caps the request at `net.core.rmem_max`). */
    receive_buffer_bytes: number;
  };
}

/** The TCP and UDP JSON-lines listeners. */
export interface SocketIngest {
  tcpPort: number;
  udpPort: number;
  /** Counts of lines stored, rejected and lost, per protocol. */
  stats(): Promise<SocketIngestStats>;
  close(): Promise<void>;
}

/** Options of the listeners. */
export interface SocketIngestOptions {
  /** Checks the `AUTH <key>` lines (see `LineAuth`). */
  auth: LineAuth;
  /** UDP receive buffer to ask the kernel for, in bytes. */
  udpReceiveBufferBytes: number;
}

// Lines a connection may have waiting for the ingestor before it is paused (TCP backpressure: the sender waits), and
// lines UDP may have waiting before new datagrams are dropped (and counted): UDP has no way to slow the sender.
const TCP_QUEUE_LINES = 20_000;
const UDP_QUEUE_LINES = 50_000;

/**
 * Listens for JSON lines on TCP (one event per line, like Logstash's json_lines codec) and UDP (one or more lines
 * per datagram) on the same port. Lines go through the same ingest path as HTTP; there is no reply channel, so each
 * line's outcome is counted (`stats()`): a rejected line costs itself alone, the lines after it are still read.
 * Lines are batched while the previous batch is stored, so a burst is a few transactions. A connection is paused
 * while too many of its lines wait; UDP datagrams are dropped (counted) instead. UDP is lossy: what must not be lost
 * goes over TCP or HTTP. `auth` checks the `AUTH <key>` lines: a refused TCP connection gets `ERR <reason>` and is
 * closed, a refused UDP datagram is dropped.
 */
export async function startSocketIngest(
  ingestor: Ingestor,
  host: string,
  port: number,
  onError: (error: Error) => void,
  options: SocketIngestOptions,
): Promise<SocketIngest> {
  const { auth } = options;
  const sockets = new Set<Socket>();
  const batchers = new Set<{ idle(): Promise<void> }>();
  const tcpStats = { ...createLineStats(), connections: 0, refused: 0 };
  const udpStats = { ...createLineStats(), datagrams: 0, refused: 0, dropped: 0 };
  const tcp: Server = createServer((socket) => {
    sockets.add(socket);
    tcpStats.connections++;
    const gate = auth.gate();
    // A line too long is counted as rejected, and its end is not read as a line.
    const splitter = createLineSplitter(ingestor.limits.maxLineLength, (length) => {
      tcpStats.lines++;
      tcpStats.rejected++;
      tcpStats.last_rejection = `(line): ${lineTooLong(ingestor.limits, length).message}`;
    });
    // One batch at a time per connection, so the events of one stream are committed in order.
    const batcher = createLineBatcher(
      async (lines) => {
        const passed = await gate.pass(lines);
        const items = passed.lines.length > 0 ? await ingestor.ingestLines(passed.lines) : [];
        if (passed.refused !== undefined) {
          tcpStats.refused++;
          socket.end(`ERR ${passed.refused}\n`);
        }
        return items;
      },
      tcpStats,
      onError,
      () => {
        if (socket.isPaused()) socket.resume();
      },
    );
    batchers.add(batcher);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      batcher.push(splitter.push(chunk));
      if (batcher.pending > TCP_QUEUE_LINES) socket.pause();
    });
    socket.on('end', () => batcher.push(splitter.end()));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      void batcher.idle().then(() => batchers.delete(batcher));
    });
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, host, () => resolve());
  });
  const tcpPort = (tcp.address() as { port: number }).port;
  const udp: UdpSocket = createSocket({
    type: host.includes(':') ? 'udp6' : 'udp4',
    recvBufferSize: options.udpReceiveBufferBytes,
  });
  const udpBatcher = createLineBatcher((lines) => ingestor.ingestLines(lines), udpStats, onError);
  batchers.add(udpBatcher);
  // Each datagram passes its own gate (its AUTH line, if any); the lines that pass join the next batch.
  const gates = new Set<Promise<void>>();
  udp.on('message', (message) => {
    udpStats.datagrams++;
    if (udpBatcher.pending > UDP_QUEUE_LINES) {
      udpStats.dropped++;
      return;
    }
    const lines = message.toString('utf8').split('\n');
    const gated = auth
      .gate()
      .pass(lines)
      .then(
        (passed) => {
          if (passed.refused !== undefined) udpStats.refused++;
          udpBatcher.push(passed.lines);
        },
        (error: Error) => {
          // The key could not be looked up: the datagram's lines are lost, and counted as such.
          const lost = lines.filter((line) => line.trim() !== '').length;
          udpStats.lines += lost;
          udpStats.failed += lost;
          onError(error);
        },
      )
      .finally(() => gates.delete(gated));
    gates.add(gated);
  });
  udp.on('error', (error) => onError(error));
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(tcpPort, host, () => resolve());
  });
  const udpPort = udp.address().port;
  return {
    tcpPort,
    udpPort,
    async stats() {
      const kernelDrops = await readUdpDrops(udpPort, host.includes(':'));
      return {
        tcp: { ...tcpStats },
        udp: {
          ...udpStats,
          ...(kernelDrops === undefined ? {} : { kernel_drops: kernelDrops }),
          receive_buffer_bytes: udp.getRecvBufferSize(),
        },
      };
    },
    async close() {
      await new Promise<void>((resolve) => {
        tcp.close(() => resolve());
        for (const socket of sockets) {
          socket.end();
          setTimeout(() => socket.destroy(), 2000).unref();
        }
      });
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      await Promise.allSettled([...gates]);
      await Promise.allSettled([...batchers].map((batcher) => batcher.idle()));
    },
  };
}
