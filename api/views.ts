import { alertRulesOf, type AlertSettings } from '../jobs/alert-rules';
import { describeRule, type AlertRecord } from '../jobs/alert';
import { describeCron } from '../jobs/cron';
import { gapSkips } from '../jobs/fire-plan';
import { scheduleIdOf } from '../jobs/ids';
import { jobCron, spreadOffsetOf } from '../jobs/spread';
import type { ExecutionRecord } from '../jobs/execution';
import type { JobDefinition } from '../jobs/job';
import type { AlertView } from './schemas/alerts';
import type { ExecutionView } from './schemas/executions';
import type { JobView } from './schemas/jobs';
import { NO_RUN_HEALTH, type JobRecord, type JobRow, type RetryRun, type ScheduleTimes } from '../store/job-store';
import { jobPagesOf, type TemporalLinks } from '../temporal/links';

const NO_STATS = Object.freeze({ totalRuns: 0, successfulRuns: 0, failedRuns: 0 });
const MAX_NEXT_RUN_TIMES = 5;

/** What a job view needs beside the row: links into Temporal Web, and the configured alert defaults and destinations. */
export interface JobViewContext {
  links: TemporalLinks;
  alerts: AlertSettings;
}

/**
 * A job as its mirror row has it: definition and schedule state as Temporal last said, counters and last run as the
 * mirror derived them, its alert rules in effect (its own, else the configured defaults). Next run times already
 * past are left out (the row's list is refreshed as they pass).
 */
export function toJobView(
  row: JobRecord & Partial<Pick<JobRow, 'stats' | 'pruned' | 'lastExecution' | 'health'>>,
  { links, alerts }: JobViewContext,
  now = Date.now(),
): JobView {
  const scheduleId = scheduleIdOf(row.definition.name);
  const spreadSeconds = row.definition.spreadSeconds ?? 0;
  const spreadOffsetSeconds = spreadOffsetOf(row.definition.name, spreadSeconds);
  const job = row.definition;
  const health = row.health ?? NO_RUN_HEALTH;
  // One literal naming every field (the JobDefinition fields through `ViewOf`, so that a field added to it and left
  // out here does not compile): V8 builds it in about 0.1 µs and keeps it compact, where a spread of the definition
  // followed by more properties took 30 µs and `Object.assign` made a slow, dictionary-mode object of 2–3 KB.
  const view: ViewOf<JobDefinition> & JobView = {
    name: job.name,
    service: job.service,
    endpoint: job.endpoint,
    method: job.method,
    cron: job.cron,
    timezone: job.timezone,
    description: job.description,
    payload: job.payload,
    enabled: job.enabled,
    timeoutSeconds: job.timeoutSeconds,
    retry: job.retry,
    overlap: job.overlap,
    catchupWindowSeconds: job.catchupWindowSeconds,
    jitterSeconds: job.jitterSeconds,
    async: job.async,
    completionTimeoutSeconds: job.completionTimeoutSeconds,
    heartbeatTimeoutSeconds: job.heartbeatTimeoutSeconds,
    spreadSeconds,
    spreadOffsetSeconds,
    schedule: scheduleWords(job.cron, job.timezone, spreadOffsetSeconds),
    declared: job.declared === true,
    alerts: alertView(job, alerts, now),
    paused: row.paused,
    pauseNote: row.pauseNote,
    // a job that will not run has no next runs, whatever Temporal lists for its paused schedule
    nextRunTimes: runs(row) ? upcoming(row.times, now).slice(0, MAX_NEXT_RUN_TIMES) : [],
    lastExecution: row.lastExecution ?? null,
    lastSuccessAt: health.lastSuccessAt,
    lastFailureAt: health.lastFailureAt,
    consecutiveFailures: health.consecutiveFailures,
    durations: health.durations,
    recentRuns: health.recentRuns,
    stats: {
      totalRuns: row.stats?.totalRuns ?? 0,
      successfulRuns: row.stats?.successfulRuns ?? 0,
      failedRuns: row.stats?.failedRuns ?? 0,
      pruned: row.pruned ?? NO_STATS,
      skipped: row.times.skipped,
      missed: row.times.missed,
      dstSkipped: dstSkipped(job, row.createdAt, now),
    },
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    temporal: { scheduleId, url: links.schedule(scheduleId) },
  };
  return view;
}

/** Every field of `T`, optional ones included (as possibly undefined): a literal of this type names them all. */
type ViewOf<T> = { [K in keyof Required<T>]: unknown };

/** The job's rules in effect; a cron stored before it was checked derives no dead-man's switch (off). */
function alertView(job: JobRecord['definition'], settings: AlertSettings, now: number): JobView['alerts'] {
  try {
    return alertRulesOf(job, settings, new Date(now));
  } catch {
    const unplanned = { ...job, alerts: { ...job.alerts, noSuccessWithinSeconds: null } };
    return { ...alertRulesOf(unplanned, settings, new Date(now)), noSuccessWithinDerived: false };
  }
}

/** A job runs only while its service has it enabled and no admin has paused it. */
const runs = (row: JobRecord) => row.definition.enabled && !row.paused;

const words = new Map<string, string>();

/**
 * A job's cron in words, with its spread offset (cached: a page of jobs repeats a few crons). A cron stored before it
 * was checked stays as is.
 */
function scheduleWords(cron: string, timezone: string, offsetSeconds: number): string {
  const key = `${timezone} ${offsetSeconds} ${cron}`;
  let text = words.get(key);
  if (text === undefined) {
    try {
      text = describeCron(cron, timezone);
    } catch {
      text = `${cron} (${timezone})`;
    }
    if (offsetSeconds > 0) text += `, ${offsetSeconds} s after each time (spreadSeconds)`;
    if (words.size >= 1000) words.clear();
    words.set(key, text);
  }
  return text;
}

/** Wall times the job skipped in spring-forward gaps since it was created (0 for a cron stored before it was checked). */
function dstSkipped(job: JobRecord['definition'], createdAt: string | null, now: number): number {
  if (!createdAt) return 0;
  try {
    return gapSkips(jobCron(job), job.timezone, new Date(createdAt), new Date(now)).length;
  } catch {
    return 0;
  }
}

/** The row's next run times still ahead of `now` (the stores keep them as `toISOString()` text: text order is time order). */
export function upcoming(times: ScheduleTimes, now = Date.now()): string[] {
  const at = new Date(now).toISOString();
  return times.nextRunTimes.filter((t) => t > at);
}

/** A run as the API shows it; `retriedBy` are the runs that retried it, oldest first (none for a run just started). */
export function toExecutionView(
  execution: ExecutionRecord,
  links: TemporalLinks,
  retriedBy: readonly RetryRun[] = [],
): ExecutionView {
  const e = execution;
  // one literal, as a job view (toJobView)
  const view: ViewOf<ExecutionRecord> & ExecutionView = {
    id: e.id,
    jobName: e.jobName,
    service: e.service,
    status: e.status,
    trigger: e.trigger,
    triggeredBy: e.triggeredBy,
    retryOf: e.retryOf,
    scheduledAt: e.scheduledAt,
    startedAt: e.startedAt,
    completedAt: e.completedAt,
    durationMs: e.durationMs,
    attempts: e.attempts,
    httpStatus: e.httpStatus,
    error: e.error,
    response: e.response,
    workflowId: e.workflowId,
    runId: e.runId,
    droppedFields: e.droppedFields ?? null,
    retriedBy: retriedBy.map(({ id, status }) => ({ id, status })),
    temporal: { url: links.workflow(e.workflowId, e.runId) },
  };
  return view;
}

/** An alert episode as the API shows it: the mirror's record, its rule in words, and the job's pages. */
export function toAlertView(alert: AlertRecord, consoleUrl: string, links: TemporalLinks): AlertView {
  return Object.assign({}, alert, {
    ruleText: describeRule(alert.rule),
    links: jobPagesOf(consoleUrl, links, alert.jobName),
  });
}
