import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { documentRefusals, errorHandler, ErrorSchema, notFoundHandler, ShuttingDownError } from '../errors';

/**
 * Every refusal, from every layer (content-type parsers, schemas, our use cases, an unknown route, shutdown), is
 * `{ error: { code, message, field } }` (docs/errors.md), and every route's OpenAPI responses list the refusals it can
 * answer (api/errors.ts `refusalsOf`). Not encapsulated, and registered before any route, so no route is left out.
 * Node's parser and the router answer before any plugin: their refusals are server options (api/app.ts).
 */
export const errorShape = fp(
  async (app: FastifyInstance) => {
    app.addSchema(ErrorSchema);
    app.addHook('onRoute', documentRefusals);
    app.setErrorHandler(errorHandler);
    app.setNotFoundHandler(notFoundHandler(app));
    // Fastify's own 503 while closing is in its shape (`return503OnClosing: false`): ours answers instead
    let closing = false;
    app.addHook('preClose', (done) => {
      closing = true;
      done();
    });
    app.addHook('onRequest', async (_req, reply) => {
      if (!closing) return;
      void reply.header('connection', 'close');
      throw new ShuttingDownError();
    });
  },
  { name: 'error-shape', fastify: '5.x' },
);
