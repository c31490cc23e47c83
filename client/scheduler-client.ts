/**
 * What a service needs to put its jobs on the scheduler (SPEC §2, §4): `register` one job or `declare` its whole
 * set on every start. Both wait for the scheduler to come up (connection refused, 502/503/504, 429), so a service
 * may call them while the scheduler is still starting. Self-contained: `fetch` and Node's timers only.
 */
import { setTimeout as delay } from 'node:timers/promises';

/** A job as SPEC §2 defines it; the scheduler fills in the defaults. */
export interface JobDeclaration {
  name: string;
  service?: string;
  endpoint: string;
  method?: 'POST' | 'PUT' | 'PATCH' | 'GET';
  cron: string;
  timezone?: string;
  description?: string;
  payload?: Record<string, unknown>;
  enabled?: boolean;
  timeoutSeconds?: number;
  retry?: {
    maxAttempts?: number;
    initialIntervalSeconds?: number;
    backoffCoefficient?: number;
    maxIntervalSeconds?: number;
  };
  overlap?: 'skip' | 'buffer_one' | 'buffer_all' | 'cancel_other' | 'terminate_other' | 'allow_all';
  catchupWindowSeconds?: number;
  jitterSeconds?: number;
}

/** What a declared set did (with `dryRun`, would do): job names, sorted. */
export interface DeclareResult {
  dryRun: boolean;
  created: string[];
  updated: string[];
  unchanged: string[];
  /** Jobs an earlier set declared that this one leaves out. */
  removed: string[];
  /** The service's jobs left out but kept: they were registered one at a time (`register`). */
  kept: string[];
  /** Why each removed or kept job was, by name. */
  reasons: Record<string, string>;
}

export interface RegisterResult {
  status: 'created' | 'updated' | 'unchanged';
  job: Record<string, unknown> & { name: string };
}

export interface SchedulerClientOptions {
  /** The scheduler's base URL, e.g. `SCHEDULER_API_URL` (`http://scheduler-service:7007`). */
  url: string;
  /** This service's token from the scheduler's `SCHEDULER_SERVICE_TOKENS`; unset against an open scheduler. */
  token?: string;
  /** Give up waiting for the scheduler after this long. Default 10 minutes. */
  maxWaitMs?: number;
  /** First delay between attempts; doubles up to `maxDelayMs` (default 500 ms → 10 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Stops the waiting (e.g. on shutdown). */
  signal?: AbortSignal;
  /** Told about each attempt that will be retried. */
  onRetry?: (reason: string, delayMs: number) => void;
  fetch?: typeof fetch;
}

/**
 * The scheduler refused the request (a 4xx other than 429): retrying the same request would not help. `code` and
 * `field` are the scheduler's (its docs/errors.md): `field` names the part of the request at fault (`jobs.0.cron`),
 * null when no single part is.
 */
export class SchedulerRequestError extends Error {
  override readonly name = 'SchedulerRequestError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null = null,
  ) {
    super(`scheduler answered ${status}: ${message}`);
  }
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);

export function createSchedulerClient(options: SchedulerClientOptions) {
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;

  async function call<T>(method: string, path: string, body: unknown): Promise<T> {
    const deadline = Date.now() + (options.maxWaitMs ?? 600_000);
    let delay = options.initialDelayMs ?? 500;
    for (;;) {
      options.signal?.throwIfAborted();
      let reason: string;
      let retryAfterMs: number | undefined;
      try {
        const res = await doFetch(`${base}${path}`, {
          method,
          headers: {
            'content-type': 'application/json',
            ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          },
          body: JSON.stringify(body),
          signal: options.signal,
        });
        const text = await res.text();
        if (res.ok) return JSON.parse(text) as T;
        const error = errorOf(text);
        if (!RETRY_STATUSES.has(res.status)) {
          throw new SchedulerRequestError(res.status, error.code, error.message, error.field);
        }
        reason = `HTTP ${res.status}: ${error.message}`;
        retryAfterMs = retryAfter(res.headers.get('retry-after'));
      } catch (err) {
        if (err instanceof SchedulerRequestError || options.signal?.aborted) throw err;
        reason = describe(err);
      }
      const wait = Math.min(retryAfterMs ?? delay, Math.max(deadline - Date.now(), 0));
      if (wait <= 0) throw new Error(`scheduler at ${base} not reachable: ${reason}`);
      options.onRetry?.(reason, wait);
      await sleep(wait, options.signal);
      delay = Math.min(delay * 2, options.maxDelayMs ?? 10_000);
    }
  }

  return {
    /** Registers or updates one job (idempotent: an unchanged definition touches nothing). */
    register: (job: JobDeclaration) => call<RegisterResult>('POST', '/api/jobs/register', job),
    /**
     * The service's declared job set: creates, updates, and removes the jobs an earlier set declared that this one
     * leaves out (jobs registered one at a time stay). With `dryRun`, answers the diff and changes nothing.
     */
    declare: (service: string, jobs: JobDeclaration[], { dryRun = false } = {}) =>
      call<DeclareResult>(
        'PUT',
        `/api/services/${encodeURIComponent(service)}/jobs${dryRun ? '?dryRun=true' : ''}`,
        // `service` is sent although the path names it: schedulers before 0.2.0 require it
        { jobs: jobs.map((job) => ({ service, ...job })) },
      ),
  };
}

export type SchedulerClient = ReturnType<typeof createSchedulerClient>;

/** `fetch failed` says little; its cause (`connect ECONNREFUSED …`) says what happened. */
function describe(err: unknown): string {
  const { message, cause } = (err ?? {}) as { message?: unknown; cause?: { message?: unknown } };
  return String(cause?.message ?? message ?? err);
}

function errorOf(text: string): { code: string; message: string; field: string | null } {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string; field?: string | null } };
    return {
      code: parsed.error?.code ?? 'unknown',
      message: parsed.error?.message ?? excerpt(text),
      field: parsed.error?.field ?? null,
    };
  } catch {
    return { code: 'unknown', message: excerpt(text), field: null };
  }
}

const EXCERPT_CHARS = 200;

/** The first 200 characters of a body that is no error of ours (a proxy's page), never half a character. */
function excerpt(text: string): string {
  // 200 characters are at most 400 UTF-16 units: only those are split into characters (a pair cut by the first
  // slice ends past the 200th, so it is dropped)
  return Array.from(text.slice(0, 2 * EXCERPT_CHARS))
    .slice(0, EXCERPT_CHARS)
    .join('');
}

function retryAfter(header: string | null): number | undefined {
  if (!header || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header) * 1000;
}

/** Waits `ms`; a stop rejects it with the signal's own reason (timers/promises would reject with an AbortError). */
const sleep = (ms: number, signal?: AbortSignal) =>
  delay(ms, undefined, { signal }).catch((err: unknown) => {
    throw signal?.aborted ? (signal.reason as Error) : err;
  });
