import type { Sinks } from '@temporalio/workflow';
import type { ExecutionStatus, Trigger } from './execution';

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
