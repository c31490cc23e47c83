import { DROPPABLE_FIELDS, type DroppableField, type ExecutionRecord } from '../jobs/execution';
import type { MirrorRefusal } from '../jobs/execution-events';
import { isRefusedWrite, type JobStore, type StoreError } from './job-store';

/** Told of every execution row a store refused for its content (the log line and the metric). */
export type MirrorRefusalObserver = (refusal: MirrorRefusal) => void;

/**
 * The store, with execution rows it refuses for their content written without their free text (SPEC §6: a row is
 * never lost, and never left `running` because its end write is retried without end). When the store refuses a row
 * for what it holds ({@link StoreError.refused}), `response` and then `error` are set to null and named in
 * `droppedFields`, until the store takes the row; the rest of the row (status, times, attempts, HTTP status) is
 * written as it was. A store that is unavailable is not a refusal: that error is thrown as before, and the write is
 * retried. A row refused even without its free text rethrows the refusal, after telling `observer`.
 */
export function keepRefusedRows(store: JobStore, observer: MirrorRefusalObserver): JobStore {
  return {
    ...store,
    async recordExecution(execution: ExecutionRecord): Promise<void> {
      try {
        await store.recordExecution(execution);
        return;
      } catch (err) {
        if (!isRefusedWrite(err)) throw err;
        let refusal = err;
        let row = execution;
        const dropped = [...(execution.droppedFields ?? [])];
        for (const field of DROPPABLE_FIELDS) {
          if (row[field] === null) continue;
          dropped.push(field);
          row = { ...row, [field]: null, droppedFields: [...dropped] };
          try {
            await store.recordExecution(row);
            observer({ ...about(execution, dropped, err), written: true });
            return;
          } catch (again) {
            if (!isRefusedWrite(again)) throw again;
            refusal = again;
          }
        }
        observer({ ...about(execution, dropped, refusal), written: false });
        throw refusal;
      }
    },
  };
}

const about = (execution: ExecutionRecord, dropped: DroppableField[], refusal: StoreError) => ({
  executionId: execution.id,
  jobName: execution.jobName,
  dropped,
  reason: refusal.message,
});
