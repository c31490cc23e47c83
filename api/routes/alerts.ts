import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireListOf } from '../identity';
import { AlertListQuery, AlertPageSchema } from '../schemas/alerts';
import type { AlertUseCases } from '../use-cases/alerts';

export const alertRoutes: FastifyPluginAsyncTypebox<{ alerts: AlertUseCases }> = async (app, { alerts }) => {
  app.get('/', { schema: { querystring: AlertListQuery, response: { 200: AlertPageSchema } } }, async (req) => {
    requireListOf(req.caller, req.query.service, 'alerts');
    return alerts.list(req.query);
  });
};
