import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { UNSUCCESSFUL_STATUSES, type ExecutionRecord } from '../jobs/execution';
import { isRefusedWrite, type JobStore } from '../store/job-store';

export interface MirrorDeps {
  store: JobStore;
  /** Told of each run that ended unsuccessful, once its row is written: the job's alert watch (temporal/watch.ts). */
  watch?: { runEnded(execution: ExecutionRecord): Promise<void> };
}

/** The failure type of a mirror write its store refused for its content: retrying the same row cannot help. */
const MIRROR_WRITE_REFUSED = 'MirrorWriteRefused';
/** The failure type of an in-place end write not tried because the mirror is not taking writes at once. */
const MIRROR_BUSY = 'MirrorBusy';
/**
 * How long an in-place end write may take, in ms: workflows/run-job.ts gives the local activity this long
 * (`startToCloseTimeout`). One still pending past it means the mirror is locked, down or slow.
 */
const IN_PLACE_BUDGET_MS = 250;

export function mirrorActivities({ store, watch }: MirrorDeps) {
  /** Start times (ms) of this worker's in-place end writes still in flight, including those their runs gave up on. */
  const inPlaceWrites = new Set<{ startedAt: number }>();
  const mirrorIsBusy = () => {
    const now = Date.now();
    for (const write of inPlaceWrites) if (now - write.startedAt > IN_PLACE_BUDGET_MS) return true;
    return false;
  };

  async function write(execution: ExecutionRecord): Promise<void> {
    try {
      await store.recordExecution(execution);
    } catch (err) {
      if (!isRefusedWrite(err)) throw err;
      throw ApplicationFailure.nonRetryable(err.message, MIRROR_WRITE_REFUSED);
    }
    // after the row: the watch reads the mirror; a failed signal fails the write, which is retried (both idempotent)
    if (watch && UNSUCCESSFUL_STATUSES.includes(execution.status)) await watch.runEnded(execution);
  }

  return {
    /**
     * Idempotent on the execution id: a retried write never duplicates a row or double-counts. The end of a run
     * that did not succeed is then told to the job's alert watch. A store that is
     * unavailable fails the attempt, to be retried; a row it refuses for its content (main.ts's store first writes
     * it without its free text, see store/refused-writes.ts) fails for good, so the write is not retried without end.
     *
     * Run as a local activity (a run's end row written in place), it fails at once with `MirrorBusy` while an
     * earlier in-place write of this worker is still pending past its budget: the run hands its row on at once
     * instead of waiting out its own timeout on a mirror that is locked or down, so runs of a job firing every
     * second stay shorter than its interval (test/faults/mirror-lock.int.test.ts). The pending write's end clears it.
     */
    async recordExecution(execution: ExecutionRecord): Promise<void> {
      if (!activityInfo().isLocal) return write(execution);
      if (mirrorIsBusy()) throw ApplicationFailure.retryable('the mirror is not taking writes at once', MIRROR_BUSY);
      const pending = { startedAt: Date.now() };
      inPlaceWrites.add(pending);
      try {
        await write(execution);
      } finally {
        inPlaceWrites.delete(pending);
      }
    },
  };
}
