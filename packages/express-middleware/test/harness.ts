import { createRequire } from 'node:module';
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import { validate, type ShoplogEvent } from '@shoplog/core';

// express4 is the `express@4` alias: same API surface as far as these tests go, typed with express 5's types.
const require = createRequire(import.meta.url);
const express4 = require('express4') as typeof express5;

/** Both Express majors, for `describe.each`. */
export const EXPRESS_VERSIONS: [string, typeof express5][] = [
  ['express 4', express4],
  ['express 5', express5],
];

/** A running app on 127.0.0.1 with an ephemeral port. */
export interface Running {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:0. */
export async function listen(app: (req: never, res: never) => void): Promise<Running> {
  const { createServer } = await import('node:http');
  const server: Server = createServer(app as never);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A real HTTP response. */
export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Makes a real HTTP request (node:http, so any header, Cookie included, can be sent). */
export function send(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Sends a request and destroys the connection after `afterMs`, before the response comes. */
export function sendAndAbort(port: number, path: string, afterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.end();
    setTimeout(() => req.destroy(), afterMs);
  });
}

/** Asserts every event is valid against core's schemas, and returns them. */
export function allValid(events: readonly ShoplogEvent[]): readonly ShoplogEvent[] {
  for (const event of events) {
    const result = validate(event);
    if (!result.ok) throw new Error(`invalid ${event.event.dataset}: ${JSON.stringify(result.issues)}`);
  }
  return events;
}

/** Resolves after `ms` (for handlers that must be slow; never used to assert speed). */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
