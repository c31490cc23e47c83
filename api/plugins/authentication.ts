import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import { RateLimitedError } from '../errors';
import { ANONYMOUS, type Caller } from '../identity';
import type { CallProof } from '../use-cases/reports';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request; set by {@link authentication} before any handler of its scope runs. */
    caller: Caller;
  }
  interface FastifyContextConfig {
    /**
     * The route takes a call proof instead of a token: an async job's report (`/api/executions/:id/…`), whose service
     * may present the call it received (`Idempotency-Key` = the path's `id`, `X-Scheduler-Attempt`,
     * `X-Scheduler-Signature`) when it sends no `Authorization`.
     */
    callProof?: boolean;
  }
}

export interface AuthenticationOptions {
  /** Resolves the Authorization header to a caller; throws a 401 error for a bad token. */
  authenticate: (authorization: string | undefined) => Promise<Caller>;
  /** Requests per minute per caller (per client address before authentication); 0 = no limit. */
  rateLimitPerMinute: number;
  /** Resolves a call proof to the service it speaks for (api/use-cases/reports.ts); absent: no route takes one. */
  authenticateCall?: (proof: CallProof) => Promise<Caller>;
}

/**
 * Every request of the scope it is registered in (`/api`) gets its `req.caller`, or a 401; and past the caller's rate
 * limit, a 429 with Retry-After. Not encapsulated, so that the hook and the decorator reach that scope's routes.
 */
export const authentication = fp(
  async (app: FastifyInstance, { authenticate, rateLimitPerMinute, authenticateCall }: AuthenticationOptions) => {
    app.decorateRequest('caller', undefined as never);
    await app.register(rateLimit, { global: false });
    const limit = rateLimitPerMinute > 0 ? perCallerLimit(app.createRateLimit, rateLimitPerMinute) : null;
    app.addHook('onRequest', async (req, reply) => {
      // a call proof counts where the token does not (none sent, in a mode that requires one)
      const proof = authenticateCall && callProofOf(req);
      const caller = await authenticate(req.headers.authorization).catch((err: Error) =>
        proof ? authenticateCall(proof).catch((proofErr: Error) => proofErr) : err,
      );
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

/**
 * The call proof a request presents (see `callProof`): only on a route that takes one, with no `Authorization`, and
 * an `Idempotency-Key` that is the path's execution id; null otherwise (the token is then judged as on any route).
 */
function callProofOf(req: FastifyRequest): CallProof | null {
  const { headers } = req;
  const executionId = headers['idempotency-key'];
  const signature = headers['x-scheduler-signature'];
  const attempt = Number(headers['x-scheduler-attempt']);
  const { id } = req.params as { id?: string };
  if (!req.routeOptions.config.callProof || headers.authorization !== undefined) return null;
  if (typeof signature !== 'string' || typeof executionId !== 'string' || executionId !== id) return null;
  if (!Number.isInteger(attempt) || attempt < 1) return null;
  return { executionId, attempt, signature };
}

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
