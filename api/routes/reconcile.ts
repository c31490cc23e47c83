import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ReconcileReport } from '../../jobs/reconcile';
import { requireAdmin } from '../identity';
import { ReconcileDoneReply, ReconcileRunningReply } from '../schemas/reconcile';

/** Runs the reconciler now; its report, or null while it still runs after a minute. */
export type ReconcileNow = () => Promise<{ workflowId: string; report: ReconcileReport | null }>;

/** `POST /reconcile` (under `/api`): an admin runs the reconciler now instead of waiting for its schedule. */
export const reconcileRoutes: FastifyPluginAsyncTypebox<{ reconcile: ReconcileNow }> = async (app, { reconcile }) => {
  app.post(
    '/reconcile',
    { schema: { response: { 200: ReconcileDoneReply, 202: ReconcileRunningReply } } },
    async (req, reply) => {
      requireAdmin(req.caller);
      const result = await reconcile();
      return reply.code(result.report ? 200 : 202).send(result);
    },
  );
};
