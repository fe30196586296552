import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { EVENT_KINDS, eventJsonSchema } from '@shoplog/core';
import { z } from 'zod';

/** One documented operation, as the docs page lists it. */
export interface DocumentedRoute {
  method: string;
  path: string;
  summary: string;
  permission: string;
}

/** The routes of an app, collected as they are added, from which the OpenAPI document is generated. */
export interface RouteCatalog {
  /** The documented routes (a `summary` in their schema), in the order they were added. */
  routes(): DocumentedRoute[];
  /** The OpenAPI 3.1 document of the documented routes. */
  document(version: string): Record<string, unknown>;
}

type JsonObject = Record<string, unknown>;

const toJson = (schema: z.ZodType): JsonObject => {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonObject;
  return json;
};

// Each property of an object schema (`z.object`, or one behind a `z.preprocess`) as a parameter.
function objectShape(schema: z.ZodType): Record<string, z.ZodType> {
  const def = schema._zod.def as { type: string; shape?: Record<string, z.ZodType>; out?: z.ZodType };
  if (def.type === 'object' && def.shape) return def.shape;
  if (def.type === 'pipe' && def.out) return objectShape(def.out);
  return {};
}

function parameters(schema: unknown, where: 'path' | 'query'): JsonObject[] {
  if (!(schema instanceof z.ZodType)) return [];
  return Object.entries(objectShape(schema)).map(([name, property]) => {
    const { description, ...json } = toJson(property);
    const optional = property.safeParse(undefined).success;
    return {
      name,
      in: where,
      required: where === 'path' || !optional,
      ...(description ? { description } : {}),
      schema: json,
    };
  });
}

const ERROR_REF = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };

function operation(schema: FastifySchema & { summary: string }): JsonObject {
  const permission = schema.permission ?? 'public';
  const params = [...parameters(schema.params, 'path'), ...parameters(schema.querystring, 'query')];
  const responses: JsonObject = {};
  const replies = (schema.response ?? {}) as Record<string, unknown>;
  for (const [status, reply] of Object.entries(replies)) {
    if (reply instanceof z.ZodType)
      responses[status] = {
        description: reply.description ?? 'OK',
        content: { 'application/json': { schema: toJson(reply) } },
      };
  }
  if (Object.keys(responses).length === 0) responses['200'] = { description: 'OK' };
  if (params.length > 0 || schema.body !== undefined)
    responses['400'] = { description: 'Invalid request (each issue names its field)', content: ERROR_REF };
  if (permission !== 'public') {
    responses['401'] = { description: 'No credentials', content: ERROR_REF };
    responses['403'] = { description: 'Not allowed', content: ERROR_REF };
  }
  const body =
    schema.body instanceof z.ZodType
      ? { content: { 'application/json': { schema: toJson(schema.body) } } }
      : schema.documentedBody
        ? {
            ...(schema.documentedBody.description ? { description: schema.documentedBody.description } : {}),
            content: { [schema.documentedBody.contentType]: { schema: schema.documentedBody.schema } },
          }
        : undefined;
  return {
    summary: schema.summary,
    description: `Permission: ${permission}.`,
    ...(permission === 'public' ? { security: [] } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(body ? { requestBody: body } : {}),
    responses,
  };
}

/** Starts collecting the routes of `app`: call it before any route is added. */
export function createRouteCatalog(app: FastifyInstance): RouteCatalog {
  const added: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    if (route.schema?.summary !== undefined) added.push(route);
  });
  const documented = () =>
    added.flatMap((route) =>
      (Array.isArray(route.method) ? route.method : [route.method])
        .filter((method) => method !== 'HEAD')
        .map((method) => ({
          method: method.toLowerCase(),
          path: route.url.replace(/:(\w+)/g, '{$1}'),
          schema: route.schema as FastifySchema & { summary: string },
        })),
    );
  return {
    routes: () =>
      documented().map(({ method, path, schema }) => ({
        method,
        path,
        summary: schema.summary,
        permission: schema.permission ?? 'public',
      })),
    document(version) {
      const paths: Record<string, JsonObject> = {};
      for (const { method, path, schema } of documented()) (paths[path] ??= {})[method] = operation(schema);
      const schemas: JsonObject = { ShoplogEvent: eventJsonSchema() };
      for (const kind of EVENT_KINDS) schemas[`${kind}_event`] = eventJsonSchema(kind);
      schemas.Error = {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: {
              code: { type: 'string' },
              message: { type: 'string' },
              issues: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['path', 'message'],
                  properties: { path: { type: 'string' }, message: { type: 'string' } },
                },
              },
            },
          },
        },
      };
      return {
        openapi: '3.1.0',
        info: { title: 'Shoplog reference server', version },
        components: {
          schemas,
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', description: 'API key (slk_…)' },
            apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
            session: { type: 'apiKey', in: 'cookie', name: 'shoplog_session' },
          },
        },
        security: [{ bearer: [] }, { apiKey: [] }, { session: [] }],
        paths,
      };
    },
  };
}
