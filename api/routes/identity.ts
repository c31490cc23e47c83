import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdentityReply } from '../schemas/identity';

/**
 * `GET /api/identity`: `{ caller: { kind: 'admin' | 'service', name } }` for the request's token; a 401 without a
 * valid one (outside open mode). The console asks it first, to know whether to ask for a token and which buttons
 * to show.
 */
export const identityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/identity', { schema: { response: { 200: IdentityReply } } }, async (req) => ({
    caller: { kind: req.caller.kind, name: req.caller.name },
  }));
};
