import type { ExecutionRecord } from '../jobs/execution';
import type { JobStore } from '../store/job-store';

export interface MirrorDeps {
  store: JobStore;
}

export function mirrorActivities({ store }: MirrorDeps) {
  return {
    /** Idempotent on the execution id: a retried write never duplicates a row or double-counts. */
    async recordExecution(execution: ExecutionRecord): Promise<void> {
      await store.recordExecution(execution);
    },
  };
}
