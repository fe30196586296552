import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ValidationIssue } from '@shoplog/core';
import { DuplicateKeyError, StoreUnavailableError } from '../ports.js';

/** An error answered as `{ error: { code, message, issues? } }` with its HTTP status. */
export class HttpError extends Error {
  /** Creates the error. */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: ValidationIssue[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Sends the error body. */
export function sendError(reply: FastifyReply, error: HttpError): FastifyReply {
  if (error.headers) void reply.headers(error.headers);
  // The rest of an over-limit body is never read: the connection cannot be reused for another request.
  if (error.status === 413) void reply.header('connection', 'close');
  return reply.code(error.status).send({
    error: { code: error.code, message: error.message, ...(error.issues ? { issues: error.issues } : {}) },
  });
}

/** The HttpError to answer for any thrown error; internal details never leak (they go to the server log). */
export function toHttpError(error: FastifyError | HttpError | Error, request: FastifyRequest): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof DuplicateKeyError) return new HttpError(409, 'conflict', error.message);
  if (error instanceof StoreUnavailableError) {
    request.log.error({ err: error }, 'store unavailable');
    return new HttpError(503, 'store_unavailable', 'the store is unavailable, retry later', undefined, {
      'retry-after': '1',
    });
  }
  const status = (error as FastifyError).statusCode;
  if (status === 413) return new HttpError(413, 'payload_too_large', 'the request body is over the limit');
  if (status === 415) return new HttpError(415, 'unsupported_media_type', error.message);
  if (status !== undefined && status >= 400 && status < 500) return new HttpError(status, 'bad_request', error.message);
  request.log.error({ err: error }, 'request failed');
  return new HttpError(500, 'internal', 'internal error');
}

/** Maps every thrown error to the error body. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | HttpError | Error, request, reply) =>
    sendError(reply, toHttpError(error, request)),
  );
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new HttpError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}
