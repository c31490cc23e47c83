import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { retentionCutoff, type ReconcileInput, type ReconcileReport } from '../jobs/reconcile';

const { reconcileMirror, pruneHistory } = proxyActivities<Activities>({
  startToCloseTimeout: '15m',
  heartbeatTimeout: '2m',
  retry: { maximumAttempts: 3, initialInterval: '10s' },
});

/**
 * Runs on its own schedule (and on demand): brings the mirror back in line with Temporal, then removes the rows
 * older than the history retention. Retention runs after the repair, on rows far older than its lookback.
 * Workflow version 1.0 (docs/workflow-versions.md).
 */
export async function reconcile(input: ReconcileInput): Promise<ReconcileReport> {
  const report = await reconcileMirror(input);
  if (!input.retentionDays) return { ...report, retention: null };
  // workflow time: the same cutoff on every replay
  const endedBefore = retentionCutoff(input.retentionDays, Date.now());
  return { ...report, retention: await pruneHistory({ endedBefore }) };
}
