import protobuf from 'protobufjs/light.js';

/*
 * The OTLP logs messages that `POST /v1/logs` reads and answers, as a protobufjs reflection descriptor. Names, types
 * and field numbers are those of opentelemetry-proto (opentelemetry/proto/{common,resource,logs}/v1 and
 * collector/logs/v1) and google.rpc.Status; only the fields Shoplog maps are declared (protobuf skips the others).
 * protobufjs does the wire decoding and encoding: no protobuf parsing is written here.
 */
const fields = (spec: Record<string, [id: number, type: string, rule?: 'repeated']>) =>
  Object.fromEntries(
    Object.entries(spec).map(([name, [id, type, rule]]) => [name, rule ? { id, type, rule } : { id, type }]),
  );

const root = protobuf.Root.fromJSON({
  nested: {
    otlp: {
      nested: {
        AnyValue: {
          oneofs: {
            value: {
              oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'],
            },
          },
          fields: fields({
            stringValue: [1, 'string'],
            boolValue: [2, 'bool'],
            intValue: [3, 'int64'],
            doubleValue: [4, 'double'],
            arrayValue: [5, 'ArrayValue'],
            kvlistValue: [6, 'KeyValueList'],
            bytesValue: [7, 'bytes'],
          }),
        },
        ArrayValue: { fields: fields({ values: [1, 'AnyValue', 'repeated'] }) },
        KeyValueList: { fields: fields({ values: [1, 'KeyValue', 'repeated'] }) },
        KeyValue: { fields: fields({ key: [1, 'string'], value: [2, 'AnyValue'] }) },
        InstrumentationScope: {
          fields: fields({ name: [1, 'string'], version: [2, 'string'], attributes: [3, 'KeyValue', 'repeated'] }),
        },
        Resource: { fields: fields({ attributes: [1, 'KeyValue', 'repeated'] }) },
        LogRecord: {
          fields: fields({
            timeUnixNano: [1, 'fixed64'],
            observedTimeUnixNano: [11, 'fixed64'],
            severityNumber: [2, 'int32'],
            severityText: [3, 'string'],
            body: [5, 'AnyValue'],
            attributes: [6, 'KeyValue', 'repeated'],
            flags: [8, 'fixed32'],
            traceId: [9, 'bytes'],
            spanId: [10, 'bytes'],
            eventName: [12, 'string'],
          }),
        },
        ScopeLogs: { fields: fields({ scope: [1, 'InstrumentationScope'], logRecords: [2, 'LogRecord', 'repeated'] }) },
        ResourceLogs: { fields: fields({ resource: [1, 'Resource'], scopeLogs: [2, 'ScopeLogs', 'repeated'] }) },
        ExportLogsServiceRequest: { fields: fields({ resourceLogs: [1, 'ResourceLogs', 'repeated'] }) },
        ExportLogsPartialSuccess: { fields: fields({ rejectedLogRecords: [1, 'int64'], errorMessage: [2, 'string'] }) },
        ExportLogsServiceResponse: { fields: fields({ partialSuccess: [1, 'ExportLogsPartialSuccess'] }) },
        Status: { fields: fields({ code: [1, 'int32'], message: [2, 'string'] }) },
      },
    },
  },
});

const Request = root.lookupType('otlp.ExportLogsServiceRequest');
const Response = root.lookupType('otlp.ExportLogsServiceResponse');
const Status = root.lookupType('otlp.Status');

/**
 * Decodes a protobuf `ExportLogsServiceRequest` into the shape of its OTLP/JSON encoding (lowerCamelCase fields,
 * 64-bit integers as decimal strings, trace and span ids as hex), so one mapping serves both encodings.
 * Throws on bytes that are not such a message.
 */
export function decodeLogsRequest(bytes: Uint8Array): unknown {
  const message = Request.decode(bytes);
  const request = Request.toObject(message, {
    longs: String,
    enums: Number,
    bytes: String,
    defaults: false,
    arrays: true,
  }) as DecodedRequest;
  // Bytes come out as base64; OTLP/JSON writes trace and span ids as hex.
  for (const resourceLogs of request.resourceLogs ?? []) {
    for (const scopeLogs of resourceLogs.scopeLogs ?? []) {
      for (const record of scopeLogs.logRecords ?? []) {
        if (record.traceId !== undefined) record.traceId = Buffer.from(record.traceId, 'base64').toString('hex');
        if (record.spanId !== undefined) record.spanId = Buffer.from(record.spanId, 'base64').toString('hex');
      }
    }
  }
  return request;
}

interface DecodedRequest {
  resourceLogs?: { scopeLogs?: { logRecords?: { traceId?: string; spanId?: string }[] }[] }[];
}

/** Encodes an `ExportLogsServiceResponse` (a partial success when records were rejected). */
export function encodeLogsResponse(partial?: { rejectedLogRecords: number; errorMessage: string }): Uint8Array {
  return Response.encode(Response.fromObject(partial ? { partialSuccess: partial } : {})).finish();
}

/** Encodes a `google.rpc.Status` (the body of an OTLP/HTTP error answer in protobuf). */
export function encodeStatus(code: number, message: string): Uint8Array {
  return Status.encode(Status.fromObject({ code, message })).finish();
}
