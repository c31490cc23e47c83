import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { MetricsEndpoint } from '../routes/metrics';

/**
 * Times every request, answered or refused, into `metrics`. Not encapsulated, and registered before any route, so
 * that it times them all.
 */
export const requestMetrics = fp(
  async (app: FastifyInstance, { metrics }: { metrics: MetricsEndpoint }) => {
    app.addHook('onResponse', async (req, reply) => {
      // the route template (`/api/jobs/:name`), never the raw URL, so label values stay bounded
      metrics.observeRequest(
        req.method,
        req.routeOptions.url ?? 'unmatched',
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
    });
  },
  { name: 'request-metrics', fastify: '5.x' },
);
