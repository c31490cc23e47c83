import { createClient, type WebSocketLikeConstructor } from '@supabase/supabase-js';
import ws from 'ws';
import type { ExecutionRecord } from '../../jobs/execution';
import { PAUSE_CHANGES_KEPT, StoreError, type JobQuery, type JobRow, type JobStore } from '../job-store';
import { jobsInChunks } from '../job-chunks';
import {
  fromJobAlertRow,
  fromJobScheduleRow,
  fromPauseChangeRow,
  fromRetryRunRow,
  fromRunSpanRow,
  fromScheduledJobRow,
  isoTimestamp,
  toFunctionArgs,
  JOB_READ_COLUMNS,
  oldestRetryFirst,
  PAUSE_CHANGE_COLUMNS,
  RETRY_RUN_COLUMNS,
  RUN_SPAN_COLUMNS,
  type RunSpanRow,
  toJobAlertWrite,
  toJobScheduleWrite,
  toScheduledJobWrite,
  type JobAlertRow,
  type JobScheduleRow,
  type PauseChangeRow,
  type RetryRunRow,
  type ScheduledJobRow,
} from '../rows';

/** Below the mirror activity's 10 s start-to-close timeout, so a hung gateway surfaces as a StoreError. */
const REQUEST_TIMEOUT_MS = 8_000;

/** What every supabase-js call resolves to: failures, including network ones, come back as `error`. */
interface Result<T> {
  data: T | null;
  error: unknown;
  /** The HTTP status PostgREST (or the gateway before it) answered; 0 or absent when no answer came. */
  status?: number;
}

/**
 * SQLSTATE classes of a row PostgreSQL will never take, whatever the retry: 22 data exception (22P05 untranslatable
 * character, 22021 invalid byte sequence, 22001 string too long, 22003 number out of range…) and 23 integrity
 * constraint violation (a CHECK, NOT NULL, a foreign key). Everything else is taken as unavailability, and retried:
 * 08 connection, 53 insufficient resources, 57 operator intervention (shutdown, statement timeout), 40 rollback
 * (serialization, deadlock), PostgREST's own PGRST codes, network errors and 5xx.
 */
const CONTENT_SQLSTATE_CLASSES = new Set(['22', '23']);

/**
 * PostgREST's own refusal of a body it cannot parse. supabase-js sends JSON.stringify's output, which is always JSON,
 * so only its content can be at fault: a lone surrogate (`"\ud83d"`), which PostgREST 12 refuses before PostgreSQL
 * sees it (PostgreSQL itself answers 22P02, "Unicode low surrogate must follow a high surrogate").
 */
const INVALID_BODY = 'PGRST102';

/**
 * True when a supabase-js `error` says the write was refused for its content: PostgreSQL's
 * {@link CONTENT_SQLSTATE_CLASSES}, PostgREST's {@link INVALID_BODY}, or a gateway's 413 (too large).
 */
export function refusedForContent(error: unknown, status?: number): boolean {
  if (status === 413) return true;
  const code = error !== null && typeof error === 'object' && 'code' in error ? error.code : undefined;
  if (typeof code !== 'string') return false;
  return code === INVALID_BODY || (/^[0-9A-Z]{5}$/.test(code) && CONTENT_SQLSTATE_CLASSES.has(code.slice(0, 2)));
}

/** A value inside a PostgREST list or logic tree (`in.(…)`, `or=(…)`), where `,` `.` `:` `(` `)` are syntax. */
function quoteValue(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** `text` as a POSIX regular expression matching it literally (PostgREST's `imatch` is PostgreSQL's `~*`). */
function literalPattern(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, (c) => `\\${c}`);
}

/**
 * Rows per request of a long read (job rows, run spans): Supabase's PostgREST answers at most 1000 (its `max-rows`),
 * and leaves the rest out without an error.
 */
const MAX_ROWS = 1000;
/** At most 100 ids per request (Supabase answers at most 1000 rows), in a URL that stays short of the 8 KB request
 * line that gateways commonly accept. */
const MAX_IDS_PER_REQUEST = 100;
const MAX_ID_LIST_LENGTH = 6_000;

/**
 * The distinct ids as `in.(…)` lists, one per request. postgrest-js's `.in()` quotes a value with `,` `(` `)` but
 * escapes neither `"` nor `\`, so the lists are built here.
 */
function idLists(ids: readonly string[]): string[] {
  const lists: string[][] = [];
  let length = 0;
  for (const id of new Set(ids)) {
    const quoted = quoteValue(id);
    const size = encodeURIComponent(`${quoted},`).length;
    const list = lists.at(-1);
    if (list && list.length < MAX_IDS_PER_REQUEST && length + size <= MAX_ID_LIST_LENGTH) {
      list.push(quoted);
      length += size;
    } else {
      lists.push([quoted]);
      length = size;
    }
  }
  return lists.map((list) => `(${list.join(',')})`);
}

/** The mirror in Supabase, through PostgREST with the service_role key (which bypasses RLS). */
export function createSupabaseStore(url: string, serviceKey: string): JobStore {
  const supabase = createClient(url, serviceKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    db: { timeout: REQUEST_TIMEOUT_MS },
    // Node 20 has no global WebSocket; realtime-js refuses to construct without a transport.
    realtime: { transport: ws as unknown as WebSocketLikeConstructor },
  });

  let closed = false;

  async function call<T>(operation: string, request: PromiseLike<Result<T>>): Promise<T | null> {
    if (closed) throw new StoreError(operation, { cause: new Error('store is closed') });
    let result: Result<T>;
    try {
      result = await request;
    } catch (err) {
      throw new StoreError(operation, { cause: err });
    }
    if (result.error) {
      throw new StoreError(operation, { cause: result.error, refused: refusedForContent(result.error, result.status) });
    }
    return result.data;
  }

  /** One request of listJobs: a chunk of at most `filter.limit` rows, in name order. */
  async function readJobs(filter: JobQuery & { limit: number }): Promise<JobRow[]> {
    let request = supabase.from('job_schedules').select(JOB_READ_COLUMNS);
    if (filter.service !== undefined) request = request.eq('service', filter.service);
    if (filter.paused !== undefined) request = request.eq('paused', filter.paused);
    if (filter.nameContains !== undefined) {
      request = request.filter('job_name', 'imatch', literalPattern(filter.nameContains));
    }
    if (filter.failing !== undefined) {
      request = filter.failing ? request.gt('consecutive_failures', 0) : request.eq('consecutive_failures', 0);
    }
    if (filter.after !== undefined) request = request.gt('job_name', filter.after);
    const rows = await call(
      'listJobs',
      request.order('job_name').limit(filter.limit).overrideTypes<JobScheduleRow[], { merge: false }>(),
    );
    return (rows ?? []).map(fromJobScheduleRow);
  }

  return {
    async upsertJob(job) {
      await call('upsertJob', supabase.rpc('upsert_job', toFunctionArgs(toJobScheduleWrite(job))));
    },
    async deleteJob(name) {
      await call('deleteJob', supabase.from('job_schedules').delete().eq('job_name', name));
    },
    async getJob(name) {
      const row = await call<JobScheduleRow>(
        'getJob',
        supabase.from('job_schedules').select(JOB_READ_COLUMNS).eq('job_name', name).maybeSingle(),
      );
      return row ? fromJobScheduleRow(row) : null;
    },
    listJobs: (filter) => jobsInChunks(filter, MAX_ROWS, readJobs),
    async recordExecution(execution) {
      await call('recordExecution', supabase.rpc('record_execution', toFunctionArgs(toScheduledJobWrite(execution))));
    },
    async recountJob(name) {
      await call('recountJob', supabase.rpc('recount_job', { p_job_name: name }));
    },
    async pruneExecutions(endedBefore, limit) {
      const removed = await call<number>(
        'pruneExecutions',
        supabase.rpc('prune_executions', { p_ended_before: isoTimestamp(endedBefore), p_limit: limit }),
      );
      return Number(removed ?? 0);
    },
    async getExecution(id) {
      const row = await call<ScheduledJobRow>(
        'getExecution',
        supabase.from('scheduled_jobs').select('*').eq('id', id).maybeSingle(),
      );
      return row ? fromScheduledJobRow(row) : null;
    },
    async getExecutions(ids) {
      const found: ExecutionRecord[] = [];
      for (const list of idLists(ids)) {
        const rows = await call<ScheduledJobRow[]>(
          'getExecutions',
          supabase.from('scheduled_jobs').select('*').filter('id', 'in', list),
        );
        found.push(...(rows ?? []).map(fromScheduledJobRow));
      }
      return found;
    },
    async listExecutions(query) {
      if (query.statuses?.length === 0) return [];
      let request = supabase.from('scheduled_jobs').select('*');
      if (query.jobName !== undefined) request = request.eq('job_name', query.jobName);
      if (query.service !== undefined) request = request.eq('service', query.service);
      if (query.statuses !== undefined) {
        // the statuses are our own words, which need no quoting in a list
        request = request.filter('status', 'in', `(${query.statuses.join(',')})`);
      }
      if (query.startedAfter !== undefined) request = request.gte('started_at', isoTimestamp(query.startedAfter));
      if (query.startedBefore !== undefined) request = request.lt('started_at', isoTimestamp(query.startedBefore));
      if (query.before !== undefined) {
        const startedAt = quoteValue(isoTimestamp(query.before.startedAt));
        const id = quoteValue(query.before.id);
        request = request.or(`started_at.lt.${startedAt},and(started_at.eq.${startedAt},id.lt.${id})`);
      }
      const rows = await call<ScheduledJobRow[]>(
        'listExecutions',
        request.order('started_at', { ascending: false }).order('id', { ascending: false }).limit(query.limit),
      );
      return (rows ?? []).map(fromScheduledJobRow);
    },
    async listRetriesOf(ids) {
      const found: RetryRunRow[] = [];
      for (const list of idLists(ids)) {
        const rows = await call<RetryRunRow[]>(
          'listRetriesOf',
          supabase.from('scheduled_jobs').select(RETRY_RUN_COLUMNS).filter('retry_of', 'in', list),
        );
        found.push(...(rows ?? []));
      }
      return found.map(fromRetryRunRow).sort(oldestRetryFirst);
    },
    async listRunSpans(jobName, window) {
      const spans: RunSpanRow[] = [];
      // keyset pages under PostgREST's row cap (`max-rows`, 1000 on Supabase)
      for (let after: RunSpanRow | undefined; ; ) {
        let request = supabase
          .from('scheduled_jobs')
          .select(RUN_SPAN_COLUMNS)
          .eq('job_name', jobName)
          .gte('started_at', isoTimestamp(window.from))
          .lt('started_at', isoTimestamp(window.to));
        if (after) {
          const startedAt = quoteValue(isoTimestamp(after.started_at));
          request = request.or(`started_at.gt.${startedAt},and(started_at.eq.${startedAt},id.gt.${quoteValue(after.id)})`);
        }
        const page =
          (await call<RunSpanRow[]>(
            'listRunSpans',
            request.order('started_at').order('id').limit(MAX_ROWS),
          )) ?? [];
        spans.push(...page);
        if (page.length < MAX_ROWS) return spans.map(fromRunSpanRow);
        after = page[page.length - 1];
      }
    },
    async listPauseChanges(jobName, window) {
      const [from, to] = [isoTimestamp(window.from), isoTimestamp(window.to)];
      const changes = () => supabase.from('job_pause_history').select(PAUSE_CHANGE_COLUMNS).eq('job_name', jobName);
      const newestFirst = { ascending: false };
      const [opening, inside] = await Promise.all([
        call<PauseChangeRow[]>(
          'listPauseChanges',
          changes().lt('at', from).order('at', newestFirst).order('id', newestFirst).limit(1),
        ),
        call<PauseChangeRow[]>(
          'listPauseChanges',
          changes().gte('at', from).lt('at', to).order('at').order('id').limit(PAUSE_CHANGES_KEPT),
        ),
      ]);
      return [...(opening ?? []), ...(inside ?? [])].map(fromPauseChangeRow);
    },
    async listLatestPauseChanges(jobName, limit) {
      const rows = await call<PauseChangeRow[]>(
        'listLatestPauseChanges',
        supabase
          .from('job_pause_history')
          .select(PAUSE_CHANGE_COLUMNS)
          .eq('job_name', jobName)
          .order('at', { ascending: false })
          .order('id', { ascending: false })
          .limit(limit),
      );
      return (rows ?? []).map(fromPauseChangeRow);
    },
    async recordAlert(alert) {
      await call('recordAlert', supabase.rpc('record_alert', toFunctionArgs(toJobAlertWrite(alert))));
    },
    async listAlerts(query) {
      let request = supabase.from('job_alerts').select('*');
      if (query.state !== undefined) request = request.eq('state', query.state);
      if (query.jobName !== undefined) request = request.eq('job_name', query.jobName);
      if (query.service !== undefined) request = request.eq('service', query.service);
      if (query.before !== undefined) {
        const openedAt = quoteValue(isoTimestamp(query.before.openedAt));
        const id = quoteValue(query.before.id);
        request = request.or(`opened_at.lt.${openedAt},and(opened_at.eq.${openedAt},id.lt.${id})`);
      }
      const rows = await call<JobAlertRow[]>(
        'listAlerts',
        request.order('opened_at', { ascending: false }).order('id', { ascending: false }).limit(query.limit),
      );
      return (rows ?? []).map(fromJobAlertRow);
    },
    async pruneAlerts(resolvedBefore, limit) {
      const removed = await call<number>(
        'pruneAlerts',
        supabase.rpc('prune_alerts', { p_resolved_before: isoTimestamp(resolvedBefore), p_limit: limit }),
      );
      return Number(removed ?? 0);
    },
    async ping() {
      // No built-in retry (three GETs over 7 s): readiness must answer within a probe's timeout.
      await call('ping', supabase.from('job_schedules').select('job_name').limit(1).retry(false));
    },
    async close() {
      // Nothing to release: no realtime channel is ever opened, and removeAllChannels() would start realtime-js's
      // 10 s disconnect timer, which holds the process open at shutdown.
      closed = true;
    },
  };
}
