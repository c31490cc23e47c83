/** The job model: what a service registers, with every default filled in. Inert: no I/O, no SDK values. */
import type { AlertRuleSettings } from './alert-rules';

export const HTTP_METHODS = ['POST', 'PUT', 'PATCH', 'GET'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Temporal's overlap policies, in the snake_case the API speaks. */
export const OVERLAP_POLICIES = [
  'skip',
  'buffer_one',
  'buffer_all',
  'cancel_other',
  'terminate_other',
  'allow_all',
] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

export interface RetryPolicy {
  maxAttempts: number;
  initialIntervalSeconds: number;
  backoffCoefficient: number;
  maxIntervalSeconds: number;
}

export type JsonObject = { [key: string]: unknown };

export interface JobDefinition {
  name: string;
  service: string;
  endpoint: string;
  method: HttpMethod;
  cron: string;
  timezone: string;
  description: string;
  payload: JsonObject;
  enabled: boolean;
  timeoutSeconds: number;
  retry: RetryPolicy;
  overlap: OverlapPolicy;
  catchupWindowSeconds: number;
  jitterSeconds: number;
  /**
   * Fire this many seconds at most after each time the cron names, at a fixed offset derived from the name
   * (jobs/spread.ts, docs/herds.md): 0–59. Absent (as on every schedule made before it existed, and whenever it is 0):
   * no shift, the job fires exactly as written.
   */
  spreadSeconds?: number;
  /**
   * The job's alert rules as its service wrote them (jobs/alert-rules.ts), normalised: only the rules it set, so a
   * changed configured default applies to every job that left it out. Absent when it set none (as on every
   * schedule made before alert rules existed).
   */
  alerts?: AlertRuleSettings;
  /**
   * The service answers each call `202 Accepted` and reports the run's end later (`POST
   * /api/executions/:id/complete`, docs/long-running.md); any other 2xx is a mistake, recorded as a failure. Absent
   * (as on every schedule made before it existed): false. See {@link completionOf} for the values in effect.
   */
  async?: boolean;
  /** An async job's time from the call to its reported end, per attempt (seconds). Absent: the default. */
  completionTimeoutSeconds?: number;
  /** An async job's longest silence between two heartbeats (seconds). Absent: no heartbeat is required. */
  heartbeatTimeoutSeconds?: number;
  /**
   * Set by the scheduler, never sent: the job came from its service's declared set (`PUT
   * /api/services/:service/jobs`), so a later set that leaves it out removes it. Absent on a job registered one at a
   * time (`POST /api/jobs/register`), which only `DELETE` removes. The last registration decides.
   */
  declared?: true;
}

/** A registration body as it arrives: only name, service, endpoint and cron are required. */
export type JobRegistration = Pick<JobDefinition, 'name' | 'service' | 'endpoint' | 'cron'> &
  Partial<Omit<JobDefinition, 'name' | 'service' | 'endpoint' | 'cron' | 'retry' | 'declared'>> & {
    retry?: Partial<RetryPolicy>;
  };

export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 5,
  initialIntervalSeconds: 10,
  backoffCoefficient: 2,
  maxIntervalSeconds: 600,
});

export const JOB_DEFAULTS = Object.freeze({
  method: 'POST' as HttpMethod,
  timezone: 'UTC',
  description: '',
  enabled: true,
  timeoutSeconds: 300,
  overlap: 'skip' as OverlapPolicy,
  catchupWindowSeconds: 3600,
  jitterSeconds: 0,
});

/** How an async job's end is awaited, with the defaults filled in (docs/long-running.md). */
export interface Completion {
  async: boolean;
  /** Per attempt, from the call to the reported end (seconds). */
  completionTimeoutSeconds: number;
  /** The longest silence between heartbeats once the call is accepted (seconds); null: none required. */
  heartbeatTimeoutSeconds: number | null;
}

/** `completionTimeoutSeconds`: 6 hours by default, 7 days at most (docs/long-running.md). */
export const COMPLETION_TIMEOUT = Object.freeze({ defaultSeconds: 6 * 3600, maxSeconds: 7 * 86400 });
/** `heartbeatTimeoutSeconds`: at least 10 s (a heartbeat is an HTTP call). */
export const MIN_HEARTBEAT_TIMEOUT_SECONDS = 10;

/** A job's {@link Completion}: what it set, else the defaults (not async, 6 hours, no heartbeat required). */
export const completionOf = (job: Pick<JobDefinition, keyof Completion>): Completion => ({
  async: job.async ?? false,
  completionTimeoutSeconds: job.completionTimeoutSeconds ?? COMPLETION_TIMEOUT.defaultSeconds,
  heartbeatTimeoutSeconds: job.heartbeatTimeoutSeconds ?? null,
});

/**
 * How long one attempt of a job's run may last (seconds): its call's `timeoutSeconds`, and an async job's
 * `completionTimeoutSeconds` after it (docs/long-running.md).
 */
export function attemptSeconds(job: Pick<JobDefinition, 'timeoutSeconds' | keyof Completion>): number {
  const completion = completionOf(job);
  return job.timeoutSeconds + (completion.async ? completion.completionTimeoutSeconds : 0);
}

export const MAX_PAYLOAD_BYTES = 64 * 1024;
/** A GET job's payload travels base64url-encoded in a header; common servers refuse headers much past 8 KiB. */
export const MAX_GET_PAYLOAD_BYTES = 4 * 1024;
export const MAX_ENDPOINT_LENGTH = 512;
export const JOB_NAME_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';

/** Key order and defaults normalised, so equal definitions serialise equally. */
export function sameDefinition(a: JobDefinition, b: JobDefinition): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as JsonObject).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}
