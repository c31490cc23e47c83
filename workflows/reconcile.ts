import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { retentionCutoff, type ReconcileInput, type ReconcileReport } from '../jobs/reconcile';

const { reconcileMirror, pruneHistory } = proxyActivities<Activities>({
  startToCloseTimeout: '15m',
  heartbeatTimeout: '2m',
  retry: { maximumAttempts: 3, initialInterval: '10s' },
});

/** Passes recorded before history retention existed end after reconcileMirror; they replay without its step. */
export const HISTORY_RETENTION_PATCH = 'history-retention';

/**
 * Runs on its own schedule (and on demand): brings the mirror back in line with Temporal, then removes the rows
 * older than the history retention. Retention runs after the repair, on rows far older than its lookback.
 */
export async function reconcile(input: ReconcileInput): Promise<ReconcileReport> {
  const report = await reconcileMirror(input);
  if (!input.retentionDays || !patched(HISTORY_RETENTION_PATCH)) return { ...report, retention: null };
  // workflow time: the same cutoff on every replay
  const endedBefore = retentionCutoff(input.retentionDays, Date.now());
  return { ...report, retention: await pruneHistory({ endedBefore }) };
}
