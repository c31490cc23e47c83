import { setImmediate } from 'node:timers/promises';
import { CancelledFailure, Context } from '@temporalio/activity';
import { type Client, type ScheduleDescription, type WorkflowExecutionInfo } from '@temporalio/client';
import { scheduleIdOf } from '../jobs/ids';
import type { ExecutionRecord } from '../jobs/execution';
import {
  MAX_PRUNE_BATCHES,
  PRUNE_BATCH_ROWS,
  rollingSliceAt,
  sliceOf,
  type MirrorReport,
  type ReconcileInput,
  type RetentionReport,
} from '../jobs/reconcile';
import type { JobDefinition } from '../jobs/job';
import type { JobRow, JobStore } from '../store/job-store';
import { fetchRunRow, listingDiffers, mendJobRow, mendRunRow, runRowOf, vanishedRunRow } from '../temporal/mirror';
import type { WatchNotifier } from '../temporal/watch';
import {
  definitionOfAction,
  followsPlan,
  JOB_SCHEDULE_PREFIX,
  stateToApply,
  toScheduleSpec,
} from '../temporal/schedule-options';
import { planJob } from '../jobs/validate';
import { describeSchedule, LIST_PAGE_SIZE } from '../temporal/schedules';
import { WorkflowType } from '../jobs/workflow-types';

const BATCH = 100;

/**
 * Brings the mirror back in line with Temporal, the source of truth: schedules changed or deleted directly in
 * Temporal, and runs whose mirror write never landed (terminated from Temporal Web, store down for too long).
 * One item that cannot be mended is reported in `failures` and does not stop the others. A pass with
 * `everyMinutes` (the reconciler's schedule) describes only the schedules whose listing differs from their row and
 * the rolling slice due ({@link rollingSliceAt}); without it (`POST /api/reconcile`), every schedule.
 */
export function reconcileActivities({ store, historyPruned, watch }: ReconcileDeps) {
  return {
    async reconcileMirror(input: ReconcileInput): Promise<MirrorReport> {
      const ctx = Context.current();
      const pass = new Pass(ctx.client, store, betweenItems(ctx), watch);
      await pass.jobs(input.everyMinutes ? rollingSliceAt(Date.now(), input.everyMinutes) : null);
      await pass.recentRuns(input.lookbackHours);
      await pass.staleRows();
      const jobs = await store.listJobs({});
      await pass.counters(jobs);
      await pass.watches(jobs);
      return pass.report;
    },

    /**
     * History retention: removes execution rows that ended before `endedBefore`, {@link PRUNE_BATCH_ROWS} at a time
     * (the store keeps the counters lifetime totals, see {@link JobStore.pruneExecutions}), then the resolved alert
     * episodes resolved before it ({@link JobStore.pruneAlerts}), until none is left or {@link MAX_PRUNE_BATCHES}
     * batches have run in all; the next pass goes on from there.
     */
    async pruneHistory({ endedBefore }: { endedBefore: string }): Promise<RetentionReport> {
      const between = betweenItems(Context.current());
      let rowsRemoved = 0;
      let alertsRemoved = 0;
      let batch = 0;
      for (; batch < MAX_PRUNE_BATCHES; batch++) {
        await between();
        const removed = await store.pruneExecutions(endedBefore, PRUNE_BATCH_ROWS);
        rowsRemoved += removed;
        historyPruned?.(removed);
        if (removed === 0) break;
      }
      for (; batch < MAX_PRUNE_BATCHES; batch++) {
        await between();
        const removed = await store.pruneAlerts(endedBefore, PRUNE_BATCH_ROWS);
        alertsRemoved += removed;
        if (removed === 0) return { endedBefore, rowsRemoved, alertsRemoved, finished: true };
      }
      return { endedBefore, rowsRemoved, alertsRemoved, finished: false };
    },
  };
}

export interface ReconcileDeps {
  store: JobStore;
  /**
   * The jobs' alert watches (temporal/watch.ts): told when Temporal's skipped or missed counters of a job grew since
   * the mirror's row; mended when missing or behind their job's rules.
   */
  watch?: Pick<WatchNotifier, 'counters' | 'watchesToMend' | 'rulesChanged'>;
  /** Told how many execution rows each retention batch removed (the metric). */
  historyPruned?: (rows: number) => void;
}

/**
 * The longest a pass holds the event loop between two of its items, ms. The worker's activities share the event loop
 * with the API in one process: a pass over 10,000 jobs whose items answer at once (the SQLite store, rows that need
 * no describe) would otherwise hold it for seconds, and every read waiting behind it.
 */
const HOLD_MS = 5;

/**
 * Between items: a pass over thousands of jobs must stop when cancelled (a worker shutting down waits for it), and
 * lets the event loop turn once it has held it {@link HOLD_MS}.
 */
const betweenItems = (ctx: Context) => {
  let heldSince = performance.now();
  return async (): Promise<void> => {
    ctx.heartbeat();
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure('reconcile pass cancelled');
    if (performance.now() - heldSince < HOLD_MS) return;
    await setImmediate();
    heldSince = performance.now();
  };
};

class Pass {
  readonly report: Required<MirrorReport> = {
    jobsMirrored: [],
    jobsRemoved: [],
    jobsReplanned: [],
    jobsStateFixed: [],
    schedulesListed: 0,
    schedulesDescribed: 0,
    executionsChecked: 0,
    executionsRepaired: [],
    watchesMended: [],
    failures: [],
  };
  private readonly checked = new Set<string>();

  constructor(
    private readonly client: Client,
    private readonly store: JobStore,
    private readonly between: () => Promise<void>,
    private readonly watch?: ReconcileDeps['watch'],
  ) {}

  /**
   * Every job schedule mirrored as it is; rows of schedules that are gone removed. With a `slice` (an incremental
   * pass), a schedule is described only when its listing differs from its row (temporal/mirror.ts `listingDiffers`)
   * or it is in that slice; without, every schedule is.
   */
  async jobs(slice: number | null): Promise<void> {
    const seen = new Set<string>();
    const rows = slice === null ? null : await this.rowsBySchedule();
    for await (const summary of this.client.schedule.list({ pageSize: LIST_PAGE_SIZE })) {
      if (!summary.scheduleId.startsWith(JOB_SCHEDULE_PREFIX)) continue;
      this.report.schedulesListed++;
      await this.between();
      const row = rows?.get(summary.scheduleId);
      if (row && sliceOf(summary.scheduleId) !== slice && !listingDiffers(summary, row)) {
        seen.add(row.definition.name);
        continue;
      }
      await this.guard(summary.scheduleId, async () => {
        const described = await this.describe(summary.scheduleId);
        const schedule = described && (await this.replan(described));
        const name = schedule && (await this.mirrorJob(schedule));
        if (name) seen.add(name);
      });
    }
    // Listing is eventually consistent: a row is removed only once describing its schedule says it is gone.
    for (const row of rows?.values() ?? (await this.store.listJobs({}))) {
      const name = row.definition.name;
      if (seen.has(name)) continue;
      await this.between();
      await this.guard(name, async () => {
        const schedule = await this.describe(scheduleIdOf(name));
        if (schedule) await this.mirrorJob(schedule);
        else {
          await this.store.deleteJob(name);
          this.report.jobsRemoved.push(name);
        }
      });
    }
  }

  private async rowsBySchedule(): Promise<Map<string, JobRow>> {
    return new Map((await this.store.listJobs({})).map((row) => [scheduleIdOf(row.definition.name), row]));
  }

  /** Describes a schedule (a query to its workflow, the cost an incremental pass saves), counted in the report. */
  private describe(scheduleId: string): Promise<ScheduleDescription | null> {
    this.report.schedulesDescribed++;
    return describeSchedule(this.client, scheduleId);
  }

  /** Runs running now or closed within the lookback, compared with their rows in batches. */
  async recentRuns(lookbackHours: number): Promise<void> {
    const since = new Date(Date.now() - lookbackHours * 3_600_000).toISOString();
    const query = `WorkflowType = "${WorkflowType.runJob}" AND (ExecutionStatus = "Running" OR CloseTime >= "${since}")`;
    let batch: WorkflowExecutionInfo[] = [];
    const flush = async () => {
      const rows = new Map((await this.store.getExecutions(batch.map((b) => b.workflowId))).map((e) => [e.id, e]));
      for (const info of batch) {
        const run = runRowOf(info);
        if (run) await this.guard(run.id, () => this.mend(run, rows.get(run.id) ?? null));
      }
      batch = [];
      await this.between();
    };
    for await (const info of this.client.workflow.list({ query, pageSize: LIST_PAGE_SIZE })) {
      batch.push(info);
      if (batch.length === BATCH) await flush();
    }
    await flush();
  }

  /** Rows still `running` that the listing did not cover: closed long ago, or gone from Temporal altogether. */
  async staleRows(): Promise<void> {
    let before: { startedAt: string; id: string } | undefined;
    for (;;) {
      const rows = await this.store.listExecutions({ statuses: ['running'], limit: BATCH, before });
      for (const row of rows) {
        if (this.checked.has(row.id)) continue;
        await this.guard(row.id, async () => {
          const run = await fetchRunRow(this.client, row.id);
          await this.mend(run ?? vanishedRunRow(row), row);
        });
      }
      await this.between();
      const last = rows[rows.length - 1];
      if (!last || rows.length < BATCH) return;
      before = { startedAt: last.startedAt, id: last.id };
    }
  }

  /**
   * Every job's counters recounted from its rows and what retention removed: a write moves them by its own step,
   * which does not see rows changed behind the store's back (a hand-made delete or insert), nor rows restored by
   * this pass.
   */
  async counters(jobs: readonly JobRow[]): Promise<void> {
    for (const row of jobs) {
      await this.between();
      await this.guard(row.definition.name, () => this.store.recountJob(row.definition.name));
    }
  }

  /**
   * Every job's alert watch running with its job's rules: a registration hands them over after answering, and a
   * hand-over lost with its process or refused by Temporal is made here, each job on its own.
   */
  async watches(jobs: readonly JobRow[]): Promise<void> {
    const watch = this.watch;
    if (!watch) return;
    let due: JobDefinition[] = [];
    await this.guard('alert watches', async () => {
      due = await watch.watchesToMend(
        jobs.map((row) => row.definition),
        this.between,
      );
    });
    for (const definition of due) {
      await this.between();
      await this.guard(definition.name, async () => {
        await watch.rulesChanged(definition);
        this.report.watchesMended.push(definition.name);
      });
    }
  }

  /** Writes a run's row again when it is behind the run (temporal/mirror.ts). */
  private async mend(run: ExecutionRecord, row: ExecutionRecord | null): Promise<void> {
    this.checked.add(run.id);
    this.report.executionsChecked++;
    if (await mendRunRow(this.client, this.store, run, row)) this.report.executionsRepaired.push(run.id);
  }

  /**
   * A job schedule whose plan is not the one of today (its horizon has moved on, or it predates plans) gets
   * today's spec; one whose paused state disagrees with its job (running although its service disabled it) gets the
   * state its job requires, an admin's pause kept. Answers the schedule as it now is.
   */
  private async replan(schedule: ScheduleDescription): Promise<ScheduleDescription> {
    const job = definitionOfAction(schedule.action);
    if (!job) return schedule;
    const spec = followsPlan(schedule.spec, job) ? null : toScheduleSpec(planJob(job), job.jitterSeconds);
    const state = stateToApply(schedule.state, job, job);
    if (!spec && !state) return schedule;
    const handle = this.client.schedule.getHandle(schedule.scheduleId);
    await handle.update((prev) => ({
      ...prev,
      ...(spec ? { spec } : {}),
      ...(state ? { state: { ...prev.state, ...state } } : {}),
    }));
    if (spec) this.report.jobsReplanned.push(job.name);
    if (state) this.report.jobsStateFixed.push(job.name);
    this.report.schedulesDescribed++;
    return handle.describe();
  }

  /** Mends a job's row from its schedule (temporal/mirror.ts); a definition, pause or note it mends is reported. */
  private async mirrorJob(schedule: ScheduleDescription): Promise<string | null> {
    const mended = await mendJobRow(this.store, schedule);
    if (mended?.change === 'repaired') this.report.jobsMirrored.push(mended.name);
    // skipped or missed occurrences Temporal counted since the last pass: the job's watch decides whether to alert
    if (mended?.grew) await this.watch?.counters(mended.name, mended.grew);
    return mended?.name ?? null;
  }

  private async guard(item: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.report.failures.push(`${item}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
