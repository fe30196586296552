import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Options of the web dashboard's routes. */
export interface WebOptions {
  /** Public URL of the server, shown on the page. */
  baseUrl?: string;
  /** Folder holding the built page (`index.html` and `assets/`). @default the package's `dist/web` */
  root?: string;
  /**
   * Answers `GET /` for the requests it `claims` (e.g. the Elasticsearch handshake of log shippers); every other
   * request, browsers' included, gets the page. @default the page for every request
   */
  rootApi?: {
    claims(request: FastifyRequest): boolean;
    answer(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>;
  };
}

/** The Content-Security-Policy of the dashboard: no inline script, nothing from another origin. */
export const WEB_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

// Source maps are not served: the page is public (the login form is on it), and a map would hand out the
// dashboard's source to anyone who asks, signed in or not. The build makes none; one put there is ignored.
const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

function here(): string {
  // The CJS build has __dirname and no import.meta; the ESM build and the TypeScript source have import.meta.
  return typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
}

/** Finds the built page: beside the bundle (`dist/web`) or, when running from `src/http`, in `../../dist/web`. */
function defaultRoot(): string | null {
  const dir = here();
  for (const candidate of [join(dir, 'web'), join(dir, '..', 'web'), join(dir, '..', '..', 'dist', 'web')]) {
    if (existsSync(join(candidate, 'index.html'))) return resolve(candidate);
  }
  return null;
}

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', WEB_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin');
}

const NOT_BUILT =
  '<!doctype html><meta charset="utf-8"><title>Shoplog</title><h1>Shoplog</h1>' +
  '<p>The dashboard is not built. Run <code>pnpm build</code> in <code>packages/server</code>. The API is at ' +
  '<a href="/api/docs">/api/docs</a>.</p>';

/**
 * Registers the web dashboard: the bundled page at `/` (revalidated on every load) and its content-hashed assets
 * at `/assets/*` (cached for a year), all under a strict Content-Security-Policy. Files are read once, here.
 */
export function registerWeb(app: FastifyInstance, options: WebOptions = {}): void {
  if (options.root !== undefined && typeof options.root !== 'string') {
    throw new TypeError('registerWeb: option "root" must be a folder path string');
  }
  const root = options.root !== undefined ? resolve(options.root) : defaultRoot();
  const indexFile = root ? join(root, 'index.html') : null;
  const index = indexFile && existsSync(indexFile) ? readFileSync(indexFile) : null;
  const assets = new Map<string, Buffer>();
  const assetDir = root ? join(root, 'assets') : null;
  if (assetDir && existsSync(assetDir)) {
    // Only files listed here are served, so a crafted path can never leave the folder.
    for (const name of readdirSync(assetDir)) {
      if (TYPES[extname(name)]) assets.set(name, readFileSync(join(assetDir, name)));
    }
  }

  const page = async (_request: unknown, reply: FastifyReply): Promise<FastifyReply> =>
    secure(reply)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .code(index ? 200 : 503)
      .send(index ?? NOT_BUILT);
  const rootApi = options.rootApi;
  const rootSchema = rootApi
    ? {
        summary:
          'Elasticsearch version banner (x-elastic-product) for Elasticsearch clients (see the README); the dashboard otherwise',
        permission: 'ingest' as const,
      }
    : { summary: 'The dashboard', permission: 'public' as const };
  app.get(
    '/',
    { schema: rootSchema },
    rootApi
      ? async (request, reply) => (rootApi.claims(request) ? rootApi.answer(request, reply) : page(request, reply))
      : page,
  );
  app.get('/index.html', page);

  app.get<{ Params: { name: string } }>('/assets/:name', async (request, reply) => {
    const body = assets.get(request.params.name);
    if (!body) {
      return secure(reply)
        .code(404)
        .send({ error: { code: 'not_found', message: 'No such asset.' } });
    }
    return secure(reply)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .type(TYPES[extname(request.params.name)] ?? 'application/octet-stream')
      .send(body);
  });
}
