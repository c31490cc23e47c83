import type { Sinks } from '@temporalio/workflow';
import type { DroppableField, ExecutionStatus, Trigger } from './execution';

/** A run as it starts: what its log line and metrics carry. */
export interface ExecutionStarted {
  executionId: string;
  job: string;
  service: string;
  trigger: Trigger;
  scheduledAt: string;
}

export interface ExecutionEnded extends ExecutionStarted {
  status: ExecutionStatus;
  attempts: number | null;
  httpStatus: number | null;
  durationMs: number;
  error: string | null;
}

/**
 * What `runJob` tells the worker's process as a run starts and ends. Sinks are called once per run, never again
 * on replay, so each run gives exactly one start and one end.
 */
export interface ExecutionSinks extends Sinks {
  executions: {
    started(event: ExecutionStarted): void;
    ended(event: ExecutionEnded): void;
  };
}

/** An execution row the mirror's store refused for its content, and what was written instead (store/refused-writes.ts). */
export interface MirrorRefusal {
  executionId: string;
  jobName: string;
  /** The fields left out of the row that was written; every droppable one when `written` is false. */
  dropped: DroppableField[];
  /** False when the store refused even the row without them: nothing was written. */
  written: boolean;
  /** The store's refusal of the whole row, e.g. `store operation recordExecution refused: … (22P05)`. */
  reason: string;
}
