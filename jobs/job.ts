/** The job model: what a service registers, with every default filled in. Inert: no I/O, no SDK values. */

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
