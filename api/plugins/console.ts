import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { errorBody, sendError } from '../errors';

/**
 * The console's policy: its own script and stylesheet, calls to this origin, nothing inline, never framed. Stricter
 * than helmet's default for the API (no `'unsafe-inline'` styles, no other origin for fonts or styles).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Where `npm run build` puts the console (scripts/build-console.ts): `dist/console`. Compiled, this file is
 * `dist/api/plugins/console.js`; run from source (ts-jest), the built assets are still in `dist/console`.
 */
const CONSOLE_DIR = path.resolve(__dirname, '../..', __filename.endsWith('.ts') ? 'dist/console' : 'console');

export interface ConsoleOptions {
  /** The built console (index.html and its hashed assets); default {@link CONSOLE_DIR}. */
  root?: string;
}

/**
 * The admin console at `/admin/`: public static files (its data calls go to /api with the caller's token). `GET
 * /admin` redirects to the relative `admin/`, so it also works under an ingress prefix such as `/scheduler/`.
 * index.html is never cached (it names the current assets); the assets' names carry their content hash, so they are
 * cached for a year. Precompressed `.br`/`.gz` files are served to clients that accept them. An unknown file is the
 * API's 404 `{ error }`.
 */
export async function consoleRoutes(app: FastifyInstance, { root = CONSOLE_DIR }: ConsoleOptions) {
  await app.register(
    async (scope) => {
      scope.addHook('onSend', async (_req, reply) => {
        void reply.header('content-security-policy', CONSOLE_CSP);
      });
      scope.setNotFoundHandler((req, reply) =>
        sendError(reply, 404, errorBody('route_not_found', `${req.url.split('?')[0]}: the console has no such file`)),
      );
      scope.get('', { schema: { hide: true } }, (_req, reply) => reply.redirect('admin/', 302));
      await scope.register(fastifyStatic, {
        root,
        prefix: '/',
        schemaHide: true,
        preCompressed: true,
        index: ['index.html'],
        cacheControl: false,
        setHeaders: (res, file) => {
          const html = file.endsWith('.html');
          res.setHeader('cache-control', html ? 'no-cache' : 'public, max-age=31536000, immutable');
        },
      });
    },
    { prefix: '/admin' },
  );
}
