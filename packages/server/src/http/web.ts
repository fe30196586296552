import type { FastifyInstance } from 'fastify';

/** Options of the web dashboard's routes. */
export interface WebOptions {
  /** Public URL of the server, shown on the page. */
  baseUrl?: string;
}

/**
 * Registers the web dashboard at `/` (owned by the dashboard engineer; this stub serves a placeholder page until
 * the bundled page lands).
 */
export function registerWeb(app: FastifyInstance, options: WebOptions = {}): void {
  void options;
  app.get('/', async (_request, reply) => {
    return reply
      .type('text/html; charset=utf-8')
      .send('<!doctype html><meta charset="utf-8"><title>Shoplog</title><p>Shoplog API: see <a href="/api/docs">/api/docs</a>.</p>');
  });
}
