import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import { RateLimitedError } from '../errors';
import { ANONYMOUS, type Caller } from '../identity';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request; set by {@link authentication} before any handler of its scope runs. */
    caller: Caller;
  }
}

export interface AuthenticationOptions {
  /** Resolves the Authorization header to a caller; throws a 401 error for a bad token. */
  authenticate: (authorization: string | undefined) => Promise<Caller>;
  /** Requests per minute per caller (per client address before authentication); 0 = no limit. */
  rateLimitPerMinute: number;
}

/**
 * Every request of the scope it is registered in (`/api`) gets its `req.caller`, or a 401; and past the caller's rate
 * limit, a 429 with Retry-After. Not encapsulated, so that the hook and the decorator reach that scope's routes.
 */
export const authentication = fp(
  async (app: FastifyInstance, { authenticate, rateLimitPerMinute }: AuthenticationOptions) => {
    app.decorateRequest('caller', undefined as never);
    await app.register(rateLimit, { global: false });
    const limit = rateLimitPerMinute > 0 ? perCallerLimit(app.createRateLimit, rateLimitPerMinute) : null;
    app.addHook('onRequest', async (req, reply) => {
      const caller = await authenticate(req.headers.authorization).catch((err: Error) => err);
      // Counted before the token is judged, so guessing tokens is limited too (per client address).
      if (limit) {
        const verdict = await limit(req, caller instanceof Error ? null : caller);
        if (verdict) {
          void reply.header('retry-after', String(verdict.retryAfterSeconds));
          throw new RateLimitedError(
            `more than ${verdict.max} requests a minute; retry in ${verdict.retryAfterSeconds} s`,
          );
        }
      }
      if (caller instanceof Error) throw caller;
      req.caller = caller;
    });
  },
  { name: 'authentication', fastify: '5.x' },
);

/** One bucket per caller (an admin, a service); open mode and failed authentication count per client address. */
function perCallerLimit(createRateLimit: FastifyInstance['createRateLimit'], max: number) {
  const check = createRateLimit({
    max,
    timeWindow: 60_000,
    keyGenerator: (req: FastifyRequest) => keys.get(req) ?? `ip:${req.ip}`,
  });
  const keys = new WeakMap<FastifyRequest, string>();
  return async (req: FastifyRequest, caller: Caller | null) => {
    if (caller && caller !== ANONYMOUS) keys.set(req, `${caller.kind}:${caller.name}`);
    const result = await check(req);
    // `isAllowed` means on the allow-list; over the limit is `isExceeded`
    return result.isAllowed || !result.isExceeded ? null : { max, retryAfterSeconds: result.ttlInSeconds };
  };
}
