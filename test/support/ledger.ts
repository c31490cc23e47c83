import type { Client } from '@temporalio/client';
import type { ExecutionView } from '../../api/schemas/executions';
import type { JobView } from '../../api/schemas/jobs';
import { apiClient } from './api';
import type { ReceivedCall, Target } from './target';

/** What the fault table counts for one job after a fault (issue: misses, duplicates, lost rows, counters). */
export interface Ledger {
  /** Runs Temporal knows of for the job (visibility: `JobName = "<job>"`). */
  runs: string[];
  /** The job's rows in the mirror. */
  rows: ExecutionView[];
  /** Idempotency-Keys the service answered 2xx more than once. */
  duplicateDeliveries: string[];
  /** Runs of Temporal with no row, and rows of no run. */
  lostRows: string[];
  extraRows: string[];
  /** The job's counters equal its rows (all, succeeded, failed or timed out) plus what history retention removed. */
  countersEqualRows: boolean;
}

/** Reads Temporal, the mirror (through the API) and the target's own record for `job`. */
export async function fetchLedger(
  client: Client,
  apiUrl: string,
  target: Target,
  job: string,
  token?: string,
): Promise<Ledger> {
  const runs: string[] = [];
  for await (const run of client.workflow.list({ query: `JobName = "${job}"` })) runs.push(run.workflowId);
  const api = apiClient(apiUrl, token);
  const rows: ExecutionView[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; body: { executions: ExecutionView[]; nextCursor: string | null } } = await api.call(
      'GET',
      `/api/jobs/${job}/executions?limit=200${cursor ? `&before=${encodeURIComponent(cursor)}` : ''}`,
    );
    if (page.status !== 200) throw new Error(`executions of ${job}: HTTP ${page.status}`);
    rows.push(...page.body.executions);
    cursor = page.body.nextCursor;
  } while (cursor);
  const delivered = new Map<string, number>();
  for (const call of target.calls()) {
    const key = String(call.headers['idempotency-key'] ?? '');
    if (call.headers['x-scheduler-job'] === job && call.status >= 200 && call.status < 300) {
      delivered.set(key, (delivered.get(key) ?? 0) + 1);
    }
  }
  const rowIds = new Set(rows.map((r) => r.id));
  const runIds = new Set(runs);
  const view = await api.call<{ job: JobView }>('GET', `/api/jobs/${job}`);
  const stats = view.status === 200 ? view.body.job.stats : null;
  return {
    runs,
    rows,
    duplicateDeliveries: [...delivered].filter(([, n]) => n > 1).map(([key]) => key),
    lostRows: runs.filter((id) => !rowIds.has(id)),
    extraRows: rows.filter((r) => !runIds.has(r.id)).map((r) => r.id),
    countersEqualRows:
      stats !== null &&
      // as refresh_job_stats counts: every row; succeeded; failed or timed out; each plus what retention removed
      stats.totalRuns === rows.length + stats.pruned.totalRuns &&
      stats.successfulRuns === rows.filter((r) => r.status === 'succeeded').length + stats.pruned.successfulRuns &&
      stats.failedRuns ===
        rows.filter((r) => r.status === 'failed' || r.status === 'timed_out').length + stats.pruned.failedRuns,
  };
}

/** A call the mirror may have delayed, or a run it may have held open (see {@link runsHeldUp}). */
export interface HeldRun {
  executionId: string;
  /** ms from the run's start (Temporal's record) to the call reaching the target. */
  callAfterMs: number;
  /** ms from the run's start to its close (Infinity while it is still open). */
  lastedMs: number;
}

/**
 * The runs behind `calls` whose call came a second or more after the run started, or which stayed open 3 s or more:
 * what a stalled mirror (locked, down, slow) could do to a short run, read from Temporal's own record of each run
 * (visibility, `JobName = "<job>"`), so Temporal's own lateness in starting runs is left out. Typical figures here,
 * with three busy loops on the two cores: the call 20-65 ms after the start, the run closed after 50-370 ms.
 */
export async function runsHeldUp(client: Client, job: string, calls: ReceivedCall[]): Promise<HeldRun[]> {
  const runs = new Map<string, { start: number; close: number }>();
  for await (const run of client.workflow.list({ query: `JobName = "${job}"` })) {
    runs.set(run.workflowId, { start: run.startTime.getTime(), close: run.closeTime?.getTime() ?? Infinity });
  }
  return calls
    .map((c) => {
      const executionId = String(c.headers['x-scheduler-execution']);
      const run = runs.get(executionId) ?? { start: NaN, close: NaN };
      return { executionId, callAfterMs: c.at - run.start, lastedMs: run.close - run.start };
    })
    .filter((r) => !(r.callAfterMs < 1000 && r.lastedMs < 3000));
}

/** Temporal's own count of a schedule's occurrences it did not run (its `describe().info`). */
export interface ScheduleCounts {
  /** Skipped by the overlap policy while an earlier run held the slot. */
  numActionsSkippedOverlap: number;
  /** Older than the catch-up window when the schedule woke. */
  numActionsMissedCatchupWindow: number;
}

/** What a fault row found for one job. */
export interface JobReport {
  job: string;
  runs: number;
  rows: number;
  /** Rows per status. */
  statuses: Record<string, number>;
  /**
   * Scheduled occurrences from the first scheduled run to the last (null: no interval, or none ran); the fields
   * below say how each is accounted for.
   */
  occurrences: number | null;
  ranOnce: number;
  /** Occurrences with more than one run: a duplicate run. */
  ranTwice: number;
  skipped: number;
  missed: number;
  /** 2xx deliveries beyond the first under one Idempotency-Key: an execution's call repeated, never a second run. */
  redeliveries: number;
  lostRows: number;
  extraRows: number;
  countersEqualRows: boolean;
}

/**
 * The fault table's account of one job: its ledger, its interval (`everyMs`, null for a job that is only triggered),
 * Temporal's skip and miss counts for its schedule, and the calls its endpoint received. An occurrence is a nominal
 * time on the interval between the job's first scheduled run and its last.
 */
export function jobReportOf(
  job: string,
  ledger: Ledger,
  everyMs: number | null,
  counts: ScheduleCounts,
  calls: ReceivedCall[],
): JobReport {
  const statuses: Record<string, number> = {};
  for (const row of ledger.rows) statuses[row.status] = (statuses[row.status] ?? 0) + 1;
  const scheduled = ledger.rows.filter((r) => r.trigger === 'schedule').map((r) => Date.parse(r.scheduledAt!));
  const perOccurrence = new Map<number, number>();
  for (const t of scheduled) perOccurrence.set(t, (perOccurrence.get(t) ?? 0) + 1);
  const first = Math.min(...scheduled);
  const last = Math.max(...scheduled);
  const keys = calls.filter((c) => c.status < 300).map((c) => String(c.headers['idempotency-key']));
  return {
    job,
    runs: ledger.runs.length,
    rows: ledger.rows.length,
    statuses,
    occurrences: everyMs === null || scheduled.length === 0 ? null : (last - first) / everyMs + 1,
    ranOnce: [...perOccurrence.values()].filter((n) => n === 1).length,
    ranTwice: [...perOccurrence.values()].filter((n) => n > 1).length,
    skipped: counts.numActionsSkippedOverlap,
    missed: counts.numActionsMissedCatchupWindow,
    redeliveries: keys.length - new Set(keys).size,
    lostRows: ledger.lostRows.length,
    extraRows: ledger.extraRows.length,
    countersEqualRows: ledger.countersEqualRows,
  };
}
