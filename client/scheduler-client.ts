/**
 * What a service needs to put its jobs on the scheduler (SPEC §2, §4): `register` one job or `declare` its whole
 * set on every start. Both wait for the scheduler to come up (connection refused, 502/503/504, 429), so a service
 * may call them while the scheduler is still starting. A long-running job's service reports on the execution with
 * `heartbeat` and `complete`. Self-contained: `fetch` and Node's timers only.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { errorOf, ExecutionConflictError, requestErrorOf } from './request-error';

export { ExecutionConflictError, SchedulerRequestError } from './request-error';

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
  /** Temporal delays each run by a random 0 to this many seconds, anew each time. Default 0. */
  jitterSeconds?: number;
  /**
   * Fire at a fixed offset of 0 to this many seconds (at most 59) after each time the cron names, derived from the
   * job's name: spreads a fleet on `0 * * * *` over a minute. Default 0: fires exactly as written. Not with a
   * six-field cron.
   */
  spreadSeconds?: number;
  /** The service answers 202 Accepted and reports the end later (`heartbeat`, `complete`). Default false. */
  async?: boolean;
  /** An async job's time from the call to its reported end, per attempt (seconds; default 21600, at most 604800). */
  completionTimeoutSeconds?: number;
  /** An async job's longest silence between heartbeats (seconds, at least 10); none by default. */
  heartbeatTimeoutSeconds?: number;
  /**
   * Alert rules; each left out takes the scheduler's configured default, `null` turns it off. Durations in seconds;
   * `noSuccessWithinSeconds: "auto"` derives the dead-man's switch from the schedule. `destinations`: names of the
   * scheduler's `SCHEDULER_ALERT_WEBHOOKS`; none: all of them.
   */
  alerts?: {
    onFailure?: boolean;
    consecutiveFailures?: number | null;
    noSuccessWithinSeconds?: number | 'auto' | null;
    runningLongerThanSeconds?: number | null;
    onSkipped?: boolean;
    onMissed?: boolean;
    destinations?: string[];
  };
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

/** What `register` did: `created`, `updated`, or `unchanged` for an identical definition; the job as stored. */
export interface RegisterResult {
  status: 'created' | 'updated' | 'unchanged';
  job: Record<string, unknown> & { name: string };
}

/**
 * The execution a call of the scheduler is for, as a long-running job reports on it: `executionId` and `attempt`
 * from the call's `X-Scheduler-Execution` and `X-Scheduler-Attempt`; `signature`, the call's `X-Scheduler-Signature`
 * verbatim, proves the report comes from the service called when it has no token. `executionContextOf(headers)`
 * reads all three.
 */
export interface ExecutionContext {
  executionId: string;
  attempt: number;
  signature?: string;
}

/** How an execution ended: `result` is kept with the run, `error` is its message for a failure. */
export interface Completion {
  status: 'succeeded' | 'failed';
  result?: Record<string, unknown>;
  error?: string;
}

/** The scheduler's answer to `complete`: `changed` false for a repeat of the completion it already has. */
export interface CompleteResult {
  changed: boolean;
  status: 'succeeded' | 'failed';
  /** The attempt the report was of (the client always names it). */
  attempt: number;
}

/** The scheduler's answer to `heartbeat`: true when an admin cancelled the execution; the work should stop. */
export interface HeartbeatResult {
  cancelRequested: boolean;
}

/** Where the scheduler is and how long to wait for it; every delay in milliseconds. */
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
  /** `complete` gives up after this long: the end of a long job is worth waiting for. Default 24 hours. */
  completeMaxWaitMs?: number;
  /** `complete`'s delays double up to this. Default 30 s. */
  completeMaxDelayMs?: number;
  /** `heartbeat` tries this often at most before it throws: the next heartbeat will tell. Default 3. */
  heartbeatTries?: number;
  /** Stops the waiting (e.g. on shutdown). */
  signal?: AbortSignal;
  /** Told about each attempt that will be retried. */
  onRetry?: (reason: string, delayMs: number) => void;
  fetch?: typeof fetch;
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/** How long one kind of call waits for the scheduler: the deadline, the delay's cap and, for a few tries, their number. */
interface Patience {
  maxWaitMs: number;
  maxDelayMs: number;
  tries?: number;
}

/**
 * The calls a service makes to the scheduler. Each waits for the scheduler while it is unreachable or busy
 * (connection refused, 429 honouring `Retry-After`, 502/503/504), with delays from `initialDelayMs` doubling:
 * `register`/`declare` up to `maxWaitMs` (10 min), `complete` up to `completeMaxWaitMs` (24 h), `heartbeat`
 * `heartbeatTries` (3) times; then it throws `Error('scheduler at <url> not reachable: <last reason>')`. Any other
 * refusal throws a {@link SchedulerRequestError} at once. An abort of `signal` rejects with its reason.
 */
export function createSchedulerClient(options: SchedulerClientOptions) {
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const declaring: Patience = { maxWaitMs: options.maxWaitMs ?? 600_000, maxDelayMs };
  const completing: Patience = {
    maxWaitMs: options.completeMaxWaitMs ?? 86_400_000,
    maxDelayMs: options.completeMaxDelayMs ?? 30_000,
  };
  const beating: Patience = { maxWaitMs: 60_000, maxDelayMs, tries: options.heartbeatTries ?? 3 };

  /** The first answer that is not "unreachable or busy", as status and text. */
  async function send(path: string, body: unknown, patience: Patience, method = 'POST', headers = {}) {
    const deadline = Date.now() + patience.maxWaitMs;
    let delay = options.initialDelayMs ?? 500;
    for (let tries = 1; ; tries++) {
      options.signal?.throwIfAborted();
      let reason: string;
      let retryAfterMs: number | undefined;
      try {
        const res = await doFetch(`${base}${path}`, {
          method,
          headers: {
            'content-type': 'application/json',
            ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
            ...headers,
          },
          body: JSON.stringify(body),
          signal: options.signal,
        });
        const text = await res.text();
        if (!RETRY_STATUSES.has(res.status)) return { ok: res.ok, status: res.status, text };
        reason = `HTTP ${res.status}: ${errorOf(text).message}`;
        retryAfterMs = retryAfter(res.headers.get('retry-after'));
      } catch (err) {
        if (options.signal?.aborted) throw err;
        reason = describe(err);
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0 || tries >= (patience.tries ?? Infinity)) {
        throw new Error(`scheduler at ${base} not reachable: ${reason}`);
      }
      const wait = Math.min(retryAfterMs ?? delay, remaining); // `Retry-After: 0` is a retry at once
      options.onRetry?.(reason, wait);
      await sleep(wait, options.signal);
      delay = Math.min(delay * 2, patience.maxDelayMs);
    }
  }

  async function call<T>(method: string, path: string, body: unknown): Promise<T> {
    const answer = await send(path, body, declaring, method);
    if (answer.ok) return JSON.parse(answer.text) as T;
    throw requestErrorOf(answer.status, answer.text);
  }

  /** A report on an execution, with the proof of the call when there is one; a 409 is an ExecutionConflictError. */
  async function report<T>(execution: ExecutionContext, action: string, body: object, patience: Patience): Promise<T> {
    const { executionId, attempt, signature } = execution;
    const proof = signature
      ? { 'idempotency-key': executionId, 'x-scheduler-attempt': String(attempt), 'x-scheduler-signature': signature }
      : {};
    const path = `/api/executions/${encodeURIComponent(executionId)}/${action}`;
    const answer = await send(path, { ...body, attempt }, patience, 'POST', proof);
    if (answer.ok) return JSON.parse(answer.text) as T;
    if (answer.status !== 409) throw requestErrorOf(answer.status, answer.text);
    const { code, message, field } = errorOf(answer.text);
    throw new ExecutionConflictError(409, code, message, field);
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
    /**
     * Tells the scheduler a long-running execution is alive (`POST /api/executions/:id/heartbeat`), with its
     * `progress` if given (shown with the run). Resolves `{cancelRequested: true}` when an admin cancelled it (or is
     * cancelling it): stop the work then, and do not `complete`.
     * @throws {@link ExecutionConflictError} when the execution ended otherwise or waits for another attempt;
     * {@link SchedulerRequestError} for a 404 (unknown execution, or another service's) or another refusal.
     */
    heartbeat: (execution: ExecutionContext, progress?: Record<string, unknown>): Promise<HeartbeatResult> =>
      report<HeartbeatResult>(execution, 'heartbeat', progress ? { progress } : {}, beating),
    /**
     * Reports how a long-running execution ended (`POST /api/executions/:id/complete`), waiting for the scheduler
     * up to `completeMaxWaitMs` (24 h). A repeat is harmless: the scheduler answers it `changed: false`.
     * @throws {@link ExecutionConflictError} when the execution ended otherwise (cancelled, timed out) or waits for
     * another attempt; {@link SchedulerRequestError} for a 404 or another refusal.
     */
    complete: (execution: ExecutionContext, completion: Completion): Promise<CompleteResult> =>
      report<CompleteResult>(execution, 'complete', completion, completing),
  };
}

/** The object `createSchedulerClient` makes. */
export type SchedulerClient = ReturnType<typeof createSchedulerClient>;

/** `fetch failed` says little; its cause (`connect ECONNREFUSED …`) says what happened. */
function describe(err: unknown): string {
  const { message, cause } = (err ?? {}) as { message?: unknown; cause?: { message?: unknown } };
  return String(cause?.message ?? message ?? err);
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
