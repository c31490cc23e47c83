/**
 * The scheduler's admin calls (SPEC §4), typed: what the portal's admin page, a script or a service acting as an
 * admin needs to see jobs and runs and act on them. Browser-safe: the global `fetch` only, nothing from Node, so a
 * page can import `@scheduler-service/client/admin` (the scheduler must list the page's origin in
 * `SCHEDULER_CORS_ORIGINS`).
 */
import { requestErrorOf } from './request-error';
import type {
  AlertPage,
  ExecutionPage,
  ExecutionStatus,
  ExecutionView,
  JobDetailView,
  JobPage,
  JobView,
} from './views';

export { SchedulerRequestError } from './request-error';
export type {
  AlertPage,
  AlertRule,
  AlertView,
  ExecutionPage,
  ExecutionStatus,
  ExecutionTrigger,
  ExecutionView,
  JobAlertRules,
  JobDetailView,
  JobPage,
  JobStats,
  JobView,
  OverlapPolicy,
  Page,
  PauseChange,
} from './views';

/** A bearer token, or a function giving the current one (a Clerk session token expires within minutes). */
export type TokenSource = string | (() => string | null | undefined | Promise<string | null | undefined>);

export interface SchedulerAdminOptions {
  /** The scheduler's base URL: `https://api.stumbleable.com/scheduler`, `http://localhost:8080`. */
  url: string;
  /**
   * An admin's token (`SCHEDULER_ADMIN_TOKENS`) or JWT (`SCHEDULER_ADMIN_JWKS_URL`, e.g. the portal's Clerk session
   * token), asked for before every call when a function. Unset against a scheduler in open mode.
   */
  token?: TokenSource;
  fetch?: typeof fetch;
}

/** Per call: `signal` aborts it (the page navigated away). */
export interface CallOptions {
  signal?: AbortSignal;
}

/** `GET /api/jobs`: by name, 50 at a time unless `limit` (1–200) says otherwise. */
export interface JobFilters {
  service?: string;
  paused?: boolean;
  /** Part of the name (needs a scheduler with the admin console's list filters; older ones answer 400 naming it). */
  q?: string;
  /** Only jobs whose last run failed (needs the same). */
  failing?: boolean;
  limit?: number;
  /** The previous page's `nextCursor`. */
  after?: string;
}

/** `GET /api/executions`: newest first, 50 at a time unless `limit` (1–200) says otherwise. */
export interface ExecutionFilters {
  /** One job's runs. */
  job?: string;
  service?: string;
  /** One status, or several (several need a scheduler with the admin console's list filters). */
  status?: ExecutionStatus | ExecutionStatus[];
  limit?: number;
  /** The previous page's `nextCursor`. */
  before?: string;
  /** Runs started at or after this instant. */
  startedAfter?: Date | string;
  /** Runs started before this instant. */
  startedBefore?: Date | string;
}

/** `GET /api/alerts`: newest opened first, 50 at a time unless `limit` (1–200) says otherwise. */
export interface AlertFilters {
  /** Only episodes still open, or only those resolved. */
  state?: 'open' | 'resolved';
  /** One job's episodes. */
  job?: string;
  service?: string;
  limit?: number;
  /** The previous page's `nextCursor`. */
  before?: string;
}

/**
 * The admin calls against one scheduler. Each resolves to the API's answer and rejects with a
 * {@link SchedulerRequestError} (`status`, `code`, `field`) for any refusal: `401` (no or bad token), `403` (not an
 * admin), `404` (`job_not_found`, `execution_not_found`), `409` (a retry of a run that did not fail), `400` naming the
 * field, `429` (the rate limit). A network failure, or in a browser a CORS refusal, rejects with `fetch`'s own
 * `TypeError`. Nothing is retried: an admin's action happens once or is reported.
 */
export function createSchedulerAdmin(options: SchedulerAdminOptions) {
  const base = options.url.replace(/\/+$/, '');
  // called as a plain function: a browser's fetch refuses any other `this`
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function call<T>(method: 'GET' | 'POST', path: string, body?: object, { signal }: CallOptions = {}) {
    const token = typeof options.token === 'function' ? await options.token() : options.token;
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body) headers['content-type'] = 'application/json';
    const res = await doFetch(`${base}${path}`, {
      method,
      headers,
      body: body ? JSON.stringify(body) : undefined,
      signal,
    });
    const text = await res.text();
    if (!res.ok) throw requestErrorOf(res.status, text);
    return JSON.parse(text) as T;
  }
  const job = (name: string) => `/api/jobs/${encodeURIComponent(name)}`;
  const execution = (id: string) => `/api/executions/${encodeURIComponent(id)}`;

  return {
    /** A page of jobs, by name; pass `nextCursor` as `after` for the next. */
    listJobs: (filters: JobFilters = {}, opts: CallOptions = {}) =>
      call<JobPage>('GET', `/api/jobs${query(filters)}`, undefined, opts),
    /** One job, with its pause history and open alerts. */
    getJob: async (name: string, opts: CallOptions = {}) =>
      (await call<{ job: JobDetailView }>('GET', job(name), undefined, opts)).job,
    /** A page of runs across jobs, newest first; pass `nextCursor` as `before` for the next. */
    listExecutions: (filters: ExecutionFilters = {}, opts: CallOptions = {}) =>
      call<ExecutionPage>('GET', `/api/executions${query(filters)}`, undefined, opts),
    /** A page of alert episodes, newest opened first; pass `nextCursor` as `before` for the next (needs a scheduler with alerts). */
    listAlerts: (filters: AlertFilters = {}, opts: CallOptions = {}) =>
      call<AlertPage>('GET', `/api/alerts${query(filters)}`, undefined, opts),
    /** One run. */
    getExecution: async (id: string, opts: CallOptions = {}) =>
      (await call<{ execution: ExecutionView }>('GET', execution(id), undefined, opts)).execution,
    /** Runs the job now (`trigger: "manual"`, `triggeredBy`: the admin); `payload` replaces its payload for this run. */
    trigger: async (name: string, payload?: Record<string, unknown>, opts: CallOptions = {}) =>
      (await call<{ execution: ExecutionView }>('POST', `${job(name)}/trigger`, payload ? { payload } : {}, opts))
        .execution,
    /** Pauses the job's schedule (runs in flight go on); the note is kept as `pauseNote`. The job, paused. */
    pause: async (name: string, note?: string, opts: CallOptions = {}) =>
      (await call<{ job: JobView }>('POST', `${job(name)}/pause`, note === undefined ? {} : { note }, opts)).job,
    /** Resumes the job's schedule; the note replaces `pauseNote`. The job, running again. */
    resume: async (name: string, note?: string, opts: CallOptions = {}) =>
      (await call<{ job: JobView }>('POST', `${job(name)}/resume`, note === undefined ? {} : { note }, opts)).job,
    /**
     * Runs a failed, timed-out, cancelled or terminated run again: the new run (`trigger: "retry"`, `retryOf`: `id`).
     * A `409` for a run in any other state.
     */
    retry: async (executionId: string, opts: CallOptions = {}) =>
      (await call<{ execution: ExecutionView }>('POST', `${execution(executionId)}/retry`, undefined, opts)).execution,
  };
}

export type SchedulerAdmin = ReturnType<typeof createSchedulerAdmin>;

/** `?a=1&b=2` of the filters that are set; dates as ISO-8601, status lists comma-separated. */
function query(filters: JobFilters | ExecutionFilters | AlertFilters): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters) as [string, unknown][]) {
    if (value === undefined || value === null) continue;
    const text = value instanceof Date ? value.toISOString() : Array.isArray(value) ? value.join(',') : String(value);
    params.set(name, text);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}
