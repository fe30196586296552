import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeLogsRequest, encodeLogsResponse, encodeStatus } from '../ingest/otlp-proto.js';
import { assertRequestLines } from '../ingest/limits.js';
import { otlpLogInputs } from '../ingest/otlp.js';
import type { ServerContext } from './context.js';
import { HttpError, toHttpError } from './errors.js';
import { gunzipBody } from './gunzip.js';
import { createIngestGuard } from './ingest-guard.js';

/** gRPC status codes of the `google.rpc.Status` an OTLP/HTTP error answer carries. */
const GRPC_CODE: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 413: 8, 415: 3, 429: 8, 503: 14 };
const MAX_REJECTION_DETAILS = 5;

const isProtobuf = (request: FastifyRequest): boolean =>
  (request.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-protobuf');
const isJson = (request: FastifyRequest): boolean =>
  (request.headers['content-type'] ?? '').toLowerCase().startsWith('application/json');

/** Answers an error as OTLP/HTTP does: a `google.rpc.Status`, in the request's encoding, with the HTTP status. */
function sendStatus(request: FastifyRequest, reply: FastifyReply, error: HttpError): FastifyReply {
  if (error.headers) void reply.headers(error.headers);
  if (error.status === 413) void reply.header('connection', 'close');
  const code = GRPC_CODE[error.status] ?? 13;
  const issues = error.issues?.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
  const message = issues ? `${error.message} (${issues})` : error.message;
  void reply.code(error.status);
  if (isProtobuf(request)) return reply.type('application/x-protobuf').send(Buffer.from(encodeStatus(code, message)));
  return reply.type('application/json').send({ code, message });
}

/**
 * OTLP/HTTP logs: `POST /v1/logs` with an `ExportLogsServiceRequest` in protobuf (`application/x-protobuf`) or JSON
 * (`application/json`), optionally gzipped, behind an `ingest` key (Bearer or X-API-Key: set it in the exporter's
 * headers). Records are mapped by `otlpLogInputs` and stored through the shared ingest path; the answer is an
 * `ExportLogsServiceResponse` in the same encoding, with `partialSuccess` (`rejectedLogRecords`, `errorMessage`)
 * when some records were refused. Rate limits answer 429 and an unavailable store 503, both with Retry-After
 * (the OTLP exporters retry them).
 */
export function registerOtlpRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const ingestGuard = createIngestGuard(ctx);
  void app.register(async (otlp) => {
    otlp.removeAllContentTypeParsers();
    otlp.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    otlp.setErrorHandler((error: FastifyError | HttpError | Error, request, reply) =>
      sendStatus(request, reply, toHttpError(error, request)),
    );

    const schema = {
      summary: 'OTLP/HTTP logs (protobuf or JSON, gzip accepted), partial success per the OTLP spec',
      permission: 'ingest',
      documentedBody: {
        contentType: 'application/x-protobuf',
        schema: {
          type: 'string',
          format: 'binary',
          description: 'An ExportLogsServiceRequest (also as application/json)',
        },
      },
    } as const;
    otlp.post('/v1/logs', { preValidation: ingestGuard, preParsing: gunzipBody, schema }, async (request, reply) => {
      const protobuf = isProtobuf(request);
      if (!protobuf && !isJson(request)) {
        throw new HttpError(
          415,
          'unsupported_media_type',
          'OTLP/HTTP logs are application/x-protobuf or application/json',
        );
      }
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      let mapped;
      try {
        mapped = otlpLogInputs(protobuf ? decodeLogsRequest(body) : JSON.parse(body.toString('utf8')));
      } catch (caught) {
        // Decoding (protobufjs, JSON.parse) and mapping (OtlpShapeError) only read the body: what they throw is about it.
        if (caught instanceof Error) {
          throw new HttpError(
            400,
            'bad_request',
            `not an OTLP ExportLogsServiceRequest in ${protobuf ? 'protobuf' : 'JSON'}: ${caught.message}`,
          );
        }
        throw caught;
      }
      assertRequestLines(ctx.ingestor.limits, mapped.inputs.length, 'events');
      const results = mapped.inputs.length > 0 ? await ctx.ingestor.ingest(mapped.inputs) : [];
      const problems = [...mapped.unreadable];
      results.forEach((result, i) => {
        if (result.result !== 'error') return;
        const issues = (result.issues ?? []).map((issue) => `${issue.path}: ${issue.message}`).join('; ');
        problems.push(`record ${i}: ${issues || 'not a valid event'}`);
      });
      const partial =
        problems.length > 0
          ? {
              rejectedLogRecords: problems.length,
              errorMessage:
                problems.slice(0, MAX_REJECTION_DETAILS).join(' | ') +
                (problems.length > MAX_REJECTION_DETAILS ? ` | … ${problems.length - MAX_REJECTION_DETAILS} more` : ''),
            }
          : undefined;
      if (protobuf) return reply.type('application/x-protobuf').send(Buffer.from(encodeLogsResponse(partial)));
      return reply.type('application/json').send(
        partial
          ? {
              partialSuccess: {
                rejectedLogRecords: String(partial.rejectedLogRecords),
                errorMessage: partial.errorMessage,
              },
            }
          : {},
      );
    });
  });
}
