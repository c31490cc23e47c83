import type { FastifyInstance, FastifyRequest } from 'fastify';
import cors, { type FastifyCorsOptions } from '@fastify/cors';
import fp from 'fastify-plugin';

export interface ApiCorsOptions {
  /** Exact origins (`https://stumbleable.com`) whose pages may call `/api`; empty: the plugin does nothing. */
  origins: readonly string[];
}

/** How long a browser may reuse a preflight's answer, in seconds (Chromium caps it at 7200). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** What every allowed origin gets; the origin itself is chosen per request. */
const POLICY: FastifyCorsOptions = {
  methods: ['GET', 'POST', 'PUT', 'DELETE'],
  // all the API reads (the token; JSON bodies): a bearer token, so no cookies and no credentials mode
  allowedHeaders: ['Authorization', 'Content-Type'],
  exposedHeaders: ['Retry-After'],
  maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  // an OPTIONS without Access-Control-Request-Method is answered like a preflight, not refused in plain text
  strictPreflight: false,
};

/**
 * CORS for `/api` (`SCHEDULER_CORS_ORIGINS`): a page on one of `origins` may call the API from the browser with a
 * bearer token (the portal's Clerk JWT). Its preflight is answered `204` here, before authentication, rate limiting
 * and load shedding (the browser sends no token with it); its requests carry `Access-Control-Allow-Origin` with
 * their origin, also on a refusal such as `401`, so the page can read why. Any other origin, any other path, and a
 * request without `Origin` get no CORS headers; every answer carries `Vary: Origin`. Registered at the root, before
 * the `/api` scope, so its hook runs first; `@fastify/cors` adds an `OPTIONS *` route for the preflights, which makes
 * no path an endpoint (api/errors.ts `notFoundHandler`).
 */
export const apiCors = fp(
  async (app: FastifyInstance, { origins }: ApiCorsOptions) => {
    if (origins.length === 0) return;
    const allowed = new Set(origins);
    const originOf = (req: FastifyRequest) => {
      const origin = req.headers.origin;
      return origin !== undefined && allowed.has(origin) && isApiPath(req.url) ? origin : false;
    };
    await app.register(cors, { delegator: (req, done) => done(null, { ...POLICY, origin: originOf(req) }) });
  },
  { name: 'api-cors', fastify: '5.x' },
);

const isApiPath = (url: string) => url === '/api' || url.startsWith('/api/') || url.startsWith('/api?');
