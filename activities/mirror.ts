import { ApplicationFailure } from '@temporalio/common';
import type { ExecutionRecord } from '../jobs/execution';
import { isRefusedWrite, type JobStore } from '../store/job-store';

export interface MirrorDeps {
  store: JobStore;
}

/** The failure type of a mirror write its store refused for its content: retrying the same row cannot help. */
const MIRROR_WRITE_REFUSED = 'MirrorWriteRefused';

export function mirrorActivities({ store }: MirrorDeps) {
  return {
    /**
     * Idempotent on the execution id: a retried write never duplicates a row or double-counts. A store that is
     * unavailable fails the attempt, to be retried; a row it refuses for its content (main.ts's store first writes
     * it without its free text, see store/refused-writes.ts) fails for good, so the write is not retried without end.
     */
    async recordExecution(execution: ExecutionRecord): Promise<void> {
      try {
        await store.recordExecution(execution);
      } catch (err) {
        if (!isRefusedWrite(err)) throw err;
        throw ApplicationFailure.nonRetryable(err.message, MIRROR_WRITE_REFUSED);
      }
    },
  };
}
