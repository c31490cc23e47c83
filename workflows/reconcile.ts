import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReconcileInput, ReconcileReport } from '../jobs/reconcile';

const { reconcileMirror } = proxyActivities<Activities>({
  startToCloseTimeout: '15m',
  heartbeatTimeout: '2m',
  retry: { maximumAttempts: 3, initialInterval: '10s' },
});

/** Runs on its own schedule (and on demand): brings the mirror back in line with Temporal. */
export async function reconcile(input: ReconcileInput): Promise<ReconcileReport> {
  return reconcileMirror(input);
}
