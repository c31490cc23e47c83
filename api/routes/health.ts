import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HealthSchema } from '../schemas/health';

/** Each check resolves when its dependency answers. */
export interface HealthChecks {
  temporal: () => Promise<void>;
  store: () => Promise<void>;
}

const CHECK_TIMEOUT_MS = 2000;

async function probe(check: () => Promise<void>): Promise<'up' | 'down'> {
  // a race against a cleared timer rather than AbortSignal.timeout: the checks take no signal
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

async function report(checks: HealthChecks) {
  const [temporal, store] = await Promise.all([probe(checks.temporal), probe(checks.store)]);
  return { status: temporal === 'up' && store === 'up' ? ('ok' as const) : ('degraded' as const), temporal, store };
}

/** `/health`: liveness, 200 while the process serves. `/ready`: 503 until Temporal and the store answer. */
export const healthRoutes: FastifyPluginAsyncTypebox<{ checks: HealthChecks }> = async (app, { checks }) => {
  app.get('/health', { schema: { response: { 200: HealthSchema } } }, async () => report(checks));
  app.get('/ready', { schema: { response: { 200: HealthSchema, 503: HealthSchema } } }, async (_req, reply) => {
    const body = await report(checks);
    return reply.code(body.status === 'ok' ? 200 : 503).send(body);
  });
};
