import type { FastifyPluginAsync } from 'fastify';

/** The process's metrics and where API request timings go (observability/ implements it; main.ts wires it). */
export interface MetricsEndpoint {
  render(): Promise<{ contentType: string; body: string }>;
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void;
}

/** `GET /metrics` in Prometheus' text format; api/plugins/request-metrics.ts times the requests. */
export const metricsRoutes: FastifyPluginAsync<{ metrics: MetricsEndpoint }> = async (app, { metrics }) => {
  app.get('/metrics', async (_req, reply) => {
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });
};
