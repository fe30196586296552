import type { FastifyInstance } from 'fastify';
import type { RouteCatalog } from './openapi.js';

// The docs page is plain HTML with one link: no script, style, image or frame may load, it may not be framed
// (clickjacking) and it submits nothing.
const DOCS_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

/**
 * `GET /api/docs` (a small HTML page) and `GET /api/docs/openapi.json`: the OpenAPI 3.1 document generated from the
 * schemas the routes declare (collected by `catalog`), built once all routes are added.
 */
export function registerDocsRoutes(app: FastifyInstance, catalog: RouteCatalog, version: string): void {
  let doc: Record<string, unknown> | undefined;
  let page: string | undefined;
  app.get('/api/docs/openapi.json', async () => (doc ??= catalog.document(version)));
  app.get('/api/docs', async (_request, reply) => {
    page ??= `<!doctype html><meta charset="utf-8"><title>Shoplog API</title><h1>Shoplog API ${escapeHtml(version)}</h1><p>OpenAPI 3.1: <a href="/api/docs/openapi.json">/api/docs/openapi.json</a></p><table>${catalog
      .routes()
      .map(
        (r) =>
          `<tr><td>${r.method.toUpperCase()}</td><td><code>${escapeHtml(r.path)}</code></td><td>${escapeHtml(r.summary)}</td><td>${r.permission}</td></tr>`,
      )
      .join('')}</table>`;
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', DOCS_CSP)
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      .send(page);
  });
}
