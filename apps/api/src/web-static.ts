import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/**
 * Serves the web app's production build (dist/web) from the API process, outside Nest's
 * controllers (so the route × role rules are untouched):
 * - its files (hashed /assets/* are immutable; .br/.gz siblings are sent when accepted);
 * - index.html at `/`, and for a browser navigation (Accept: text/html) to a path no API route
 *   answers: the app's own router shows the page. API routes, /docs and the API's own pages
 *   (the public /verify page) keep answering, and an unknown path asked for as JSON is still
 *   the problem+json 404.
 */
export interface WebAsset {
  body: Buffer;
  br?: Buffer;
  gz?: Buffer;
  type: string;
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
};

/** The app's pages: same origin only; charts draw on canvas; no inline scripts. */
export const WEB_APP_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

export function defaultWebRoot(): string {
  return process.env.WEB_DIR ?? fileURLToPath(new URL('../../../web/', import.meta.url));
}

/** Reads the build into memory (a few hundred kB): no disk access per request. */
export function loadWebAssets(root: string): Map<string, WebAsset> | null {
  if (!existsSync(join(root, 'index.html'))) return null;
  const assets = new Map<string, WebAsset>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      if (name.endsWith('.br') || name.endsWith('.gz')) continue;
      const url = `/${relative(root, path).split(sep).join('/')}`;
      assets.set(url, {
        body: readFileSync(path),
        br: existsSync(`${path}.br`) ? readFileSync(`${path}.br`) : undefined,
        gz: existsSync(`${path}.gz`) ? readFileSync(`${path}.gz`) : undefined,
        type: TYPES[extname(name)] ?? 'application/octet-stream',
        immutable: url.startsWith('/assets/'),
      });
    }
  };
  walk(root);
  return assets;
}

function send(request: FastifyRequest, reply: FastifyReply, asset: WebAsset, status = 200): FastifyReply {
  const accept = String(request.headers['accept-encoding'] ?? '');
  let body = asset.body;
  if (asset.br && /\bbr\b/.test(accept)) {
    body = asset.br;
    reply.header('content-encoding', 'br');
  } else if (asset.gz && /\bgzip\b/.test(accept)) {
    body = asset.gz;
    reply.header('content-encoding', 'gzip');
  }
  if (asset.br || asset.gz) reply.header('vary', 'accept-encoding');
  reply
    .code(status)
    .header('content-type', asset.type)
    .header('content-length', body.length)
    .header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  if (asset.type.startsWith('text/html')) reply.header('content-security-policy', WEB_APP_CSP).header('x-frame-options', 'DENY');
  return reply.send(request.method === 'HEAD' ? undefined : body);
}

function isNavigation(request: FastifyRequest): boolean {
  return (request.method === 'GET' || request.method === 'HEAD') && String(request.headers.accept ?? '').includes('text/html');
}

/** Registers the hooks; returns false (and logs) when there is no build to serve. */
export function registerWebApp(app: NestFastifyApplication, logger: Pick<Logger, 'info' | 'warn'>, root = defaultWebRoot()): boolean {
  const assets = loadWebAssets(root);
  if (!assets) {
    logger.warn({ root }, 'the web app is not built (npm run build): only the API is served');
    return false;
  }
  const index = assets.get('/index.html')!;
  const fastify = app.getHttpAdapter().getInstance();

  fastify.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return;
    const path = request.url.split('?')[0];
    if (path === '/' || path === '/index.html') return send(request, reply, index);
    const asset = assets.get(path);
    if (asset) return send(request, reply, asset);
  });

  // A page of the app opened directly (bookmark, reload): no API route matched, the browser
  // asked for HTML, so the app answers instead of the 404 problem.
  fastify.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode !== 404 || !isNavigation(request)) return payload;
    if (typeof payload !== 'string' || !payload.includes('"code":"route.not_found"')) return payload;
    reply.code(200).header('content-type', index.type).header('cache-control', 'no-cache').header('content-security-policy', WEB_APP_CSP).header('x-frame-options', 'DENY');
    reply.removeHeader('content-length');
    return request.method === 'HEAD' ? '' : index.body.toString('utf8');
  });
  logger.info({ root, files: assets.size }, 'serving the web app at /');
  return true;
}
