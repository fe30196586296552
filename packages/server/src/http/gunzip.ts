import type { FastifyRequest } from 'fastify';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { HttpError } from './errors.js';

/**
 * A `preParsing` hook that inflates `Content-Encoding: gzip` bodies; the body limit then applies to the inflated
 * bytes (a zip bomb gets a 413). `receivedEncodedLength` lets Fastify check Content-Length against the wire bytes.
 */
export async function gunzipBody(request: FastifyRequest, _reply: unknown, payload: Readable): Promise<Readable> {
  const encoding = request.headers['content-encoding']?.toLowerCase();
  if (!encoding || encoding === 'identity') return payload;
  if (encoding !== 'gzip')
    throw new HttpError(415, 'unsupported_media_type', `unsupported Content-Encoding ${encoding}`);
  const gunzip = createGunzip() as ReturnType<typeof createGunzip> & { receivedEncodedLength: number };
  gunzip.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => {
    gunzip.receivedEncodedLength += chunk.length;
  });
  payload.on('error', (error) => gunzip.destroy(error));
  return payload.pipe(gunzip);
}
