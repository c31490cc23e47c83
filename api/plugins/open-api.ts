import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

const OPENAPI = {
  info: {
    title: 'scheduler-service',
    description: 'Recurring jobs for the fleet: each job a Temporal Schedule, each run a workflow calling its service.',
    version: '1',
  },
  components: { securitySchemes: { bearer: { type: 'http' as const, scheme: 'bearer' } } },
  security: [{ bearer: [] }],
};

/**
 * The OpenAPI document of every route registered after it, at `/docs/json`, and its UI at `/docs`. Not
 * encapsulated: the document must see the routes of every scope.
 */
export const openApi = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: OPENAPI,
      // shared schemas by their $id (`ApiError`), not `def-0`
      refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'open-api', fastify: '5.x' },
);
