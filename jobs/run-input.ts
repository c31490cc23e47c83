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
  /**
   * The first 2 KiB of the body the service answered with (as {@link CallResult.response}); absent when no answer
   * came.
   */
  response?: string | null;
}

/** ApplicationFailure types of the call activity. */
export const CALL_FAILURE = {
  client: 'HttpClientError',
  target: 'TargetUrlError',
  retryable: 'HttpRetryableError',
  timeout: 'HttpTimeoutError',
  network: 'HttpNetworkError',
  /** An async job's service answered a 2xx other than 202: it did not accept the run (docs/long-running.md). */
  notAccepted: 'NotAcceptedError',
  /** An async job's service reported the run failed (`POST /api/executions/:id/complete`). */
  reported: 'ReportedFailure',
} as const;

/**
 * A permanent answer (SPEC §5: any 4xx but 408, 425, 429), a target that can never resolve, or an async job's service
 * answering as if it were not async: no retry.
 */
export const NON_RETRYABLE_CALL_FAILURES: readonly string[] = [
  CALL_FAILURE.client,
  CALL_FAILURE.target,
  CALL_FAILURE.notAccepted,
];
