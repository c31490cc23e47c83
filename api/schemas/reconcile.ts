import { Type } from '@sinclair/typebox';
import { Nullable, Timestamp } from './common';

/** One reconciler pass (jobs/reconcile.ts `ReconcileReport`). */
const ReconcileReportSchema = Type.Object({
  jobsMirrored: Type.Array(Type.String()),
  jobsRemoved: Type.Array(Type.String()),
  jobsReplanned: Type.Array(Type.String()),
  jobsStateFixed: Type.Array(Type.String()),
  schedulesListed: Type.Optional(Type.Integer()),
  schedulesDescribed: Type.Optional(Type.Integer()),
  watchesMended: Type.Optional(Type.Array(Type.String())),
  executionsChecked: Type.Integer(),
  executionsRepaired: Type.Array(Type.String()),
  failures: Type.Array(Type.String()),
  retention: Nullable(
    Type.Object({
      endedBefore: Timestamp,
      rowsRemoved: Type.Integer(),
      alertsRemoved: Type.Optional(Type.Integer()),
      finished: Type.Boolean(),
    }),
  ),
});

/** `POST /api/reconcile`, 200: the pass ended within a minute. */
export const ReconcileDoneReply = Type.Object({ workflowId: Type.String(), report: ReconcileReportSchema });
/** `POST /api/reconcile`, 202: the pass still runs. */
export const ReconcileRunningReply = Type.Object({ workflowId: Type.String(), report: Type.Null() });
