/**
 * Real receivers on 127.0.0.1 for the channel tests: an HTTP server that records every request (webhook and
 * Slack-compatible), and an SMTP server (smtp-server, from the npm registry) that records every message.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/** A request as the receiver got it. */
export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  path: string;
}

/** How the receiver answers request number `index` (0-based). */
export type Answer = (
  request: ReceivedRequest,
  index: number,
) => { status: number; headers?: Record<string, string>; body?: string };

/** Something that records what it receives and can be taken down and brought back on the same port. */
interface Recorder<T> {
  readonly received: T[];
  /** Resolves with the next item received (or the oldest not yet taken). */
  next(): Promise<T>;
  readonly port: number;
  /** Stops listening (connections are refused) until `start()`. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A list that also hands out its items one by one as they arrive. */
export function recorder<T>() {
  const received: T[] = [];
  const waiters: ((item: T) => void)[] = [];
  let taken = 0;
  return {
    received,
    push(item: T) {
      received.push(item);
      const waiter = waiters.shift();
      if (waiter) {
        taken++;
        waiter(item);
      }
    },
    next(): Promise<T> {
      if (taken < received.length) return Promise.resolve(received[taken++] as T);
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

const listen = (server: { listen(port: number, host: string, cb: () => void): unknown }, port: number) =>
  new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

/** An HTTP receiver; answers 200 unless `answer` says otherwise. */
export interface HttpReceiver extends Recorder<ReceivedRequest> {
  readonly url: string;
}

/** Starts an HTTP receiver on 127.0.0.1 (a free port). */
export async function startHttpReceiver(answer: Answer = () => ({ status: 200, body: 'ok' })): Promise<HttpReceiver> {
  const log = recorder<ReceivedRequest>();
  let count = 0;
  const make = (): Server =>
    createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), path: req.url ?? '' };
        const reply = answer(request, count++);
        log.push(request);
        res.writeHead(reply.status, reply.headers).end(reply.body ?? '');
      });
    });
  let server = make();
  await listen(server, 0);
  const port = (server.address() as AddressInfo).port;
  return {
    ...log,
    port,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
    async start() {
      server = make();
      await listen(server, port);
    },
  };
}

/** A message the SMTP receiver accepted. */
export interface ReceivedMail {
  raw: string;
  parsed: ParsedMail;
  envelope: { from: string; to: string[] };
  secure: boolean;
  user: string | undefined;
}

/** Starts an SMTP receiver on 127.0.0.1 (a free port); `options` are smtp-server's (TLS, auth, disabled commands). */
export async function startSmtpReceiver(options: SMTPServerOptions = {}): Promise<Recorder<ReceivedMail>> {
  const log = recorder<ReceivedMail>();
  const make = () =>
    new SMTPServer({
      authOptional: true,
      disableReverseLookup: true,
      logger: false,
      ...options,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          simpleParser(raw).then(
            (parsed) => {
              log.push({
                raw,
                parsed,
                envelope: {
                  from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                  to: session.envelope.rcptTo.map((r) => r.address),
                },
                secure: session.secure,
                user: typeof session.user === 'string' ? session.user : undefined,
              });
              callback();
            },
            (error: Error) => callback(error),
          );
        });
      },
    });
  let server = make();
  await listen(server, 0);
  const port = (server.server.address() as AddressInfo).port;
  return {
    ...log,
    port,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async start() {
      server = make();
      await listen(server, port);
    },
  };
}
