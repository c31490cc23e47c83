import type { Trigger } from './execution';
import type { JobDefinition } from './job';

/** The one argument of the `runJob` workflow. A schedule's action carries the whole definition, which
 * makes each schedule self-describing and lets "unchanged" be decided by comparing it. */
export interface RunJobInput {
  job: JobDefinition;
  trigger: Trigger;
  triggeredBy: string | null;
  retryOf: string | null;
}

/** What the call activity reports for a finished call (any 2xx). */
export interface CallResult {
  httpStatus: number;
  attempt: number;
  response: string | null;
}

/** Carried as the details of a call failure so the workflow can record what happened. */
export interface CallFailureDetails {
  attempt: number;
  httpStatus: number | null;
  timedOut: boolean;
}
