import { Context } from '@temporalio/activity';
import { ScheduleNotFoundError, type ScheduleDescription, type WorkflowExecutionInfo } from '@temporalio/client';
import { scheduleIdOf } from '../jobs/ids';
import { sameDefinition } from '../jobs/job';
import type { ExecutionRecord } from '../jobs/execution';
import type { ReconcileInput, ReconcileReport } from '../jobs/reconcile';
import type { JobStore } from '../store/job-store';
import { recordedExecutionOf, runOf } from '../temporal/runs';
import { definitionOfAction, JOB_SCHEDULE_PREFIX } from '../temporal/schedule-options';

const BATCH = 100;

/**
 * Brings the mirror back in line with Temporal, the source of truth: schedules changed or deleted directly in
 * Temporal, and runs whose mirror write never landed (terminated from Temporal Web, store down for too long).
 */
export function reconcileActivities({ store }: { store: JobStore }) {
  return {
    async reconcileMirror(input: ReconcileInput): Promise<ReconcileReport> {
      const ctx = Context.current();
      const client = ctx.client;
      const report: ReconcileReport = {
        jobsMirrored: [],
        jobsRemoved: [],
        executionsChecked: 0,
        executionsRepaired: [],
      };

      const mirrorJob = async (schedule: ScheduleDescription) => {
        const job = definitionOfAction(schedule.action);
        if (!job) return null;
        const row = await store.getJob(job.name);
        if (!row || !sameDefinition(row.definition, job) || row.enabled === schedule.state.paused) {
          await store.upsertJob({
            definition: job,
            enabled: !schedule.state.paused,
            createdAt: schedule.info.createdAt.toISOString(),
            updatedAt: (schedule.info.lastUpdatedAt ?? schedule.info.createdAt).toISOString(),
          });
          report.jobsMirrored.push(job.name);
        }
        return job.name;
      };
      const describe = async (scheduleId: string) => {
        try {
          return await client.schedule.getHandle(scheduleId).describe();
        } catch (err) {
          if (err instanceof ScheduleNotFoundError) return null;
          throw err;
        }
      };

      const seen = new Set<string>();
      for await (const summary of client.schedule.list()) {
        if (!summary.scheduleId.startsWith(JOB_SCHEDULE_PREFIX)) continue;
        ctx.heartbeat();
        const schedule = await describe(summary.scheduleId);
        const name = schedule && (await mirrorJob(schedule));
        if (name) seen.add(name);
      }
      // Listing is eventually consistent: a row is removed only once describing its schedule says it is gone.
      for (const row of await store.listJobs({})) {
        if (seen.has(row.definition.name)) continue;
        const schedule = await describe(scheduleIdOf(row.definition.name));
        if (schedule) await mirrorJob(schedule);
        else {
          await store.deleteJob(row.definition.name);
          report.jobsRemoved.push(row.definition.name);
        }
      }

      const since = new Date(Date.now() - input.lookbackHours * 3_600_000).toISOString();
      const query = `WorkflowType = "runJob" AND (ExecutionStatus = "Running" OR CloseTime >= "${since}")`;
      let batch: WorkflowExecutionInfo[] = [];
      const repair = async () => {
        const mirrored = new Map((await store.getExecutions(batch.map((b) => b.workflowId))).map((e) => [e.id, e]));
        for (const info of batch) {
          const run = runOf(info);
          const row = mirrored.get(info.workflowId);
          if (!run || (row && (row.status !== 'running' || run.status === 'running'))) continue;
          await store.recordExecution(await repaired(run, row ?? null));
          report.executionsRepaired.push(run.id);
        }
        report.executionsChecked += batch.length;
        batch = [];
        ctx.heartbeat();
      };
      for await (const info of client.workflow.list({ query })) {
        batch.push(info);
        if (batch.length === BATCH) await repair();
      }
      await repair();
      return report;

      /** The run's own last record (attempts, status code, error) where its history has one, ended as Temporal says. */
      async function repaired(run: ExecutionRecord, row: ExecutionRecord | null): Promise<ExecutionRecord> {
        const base = (await recordedExecutionOf(client, run.id)) ?? row ?? run;
        if (base.status !== 'running' || run.status === 'running') return base;
        return {
          ...base,
          status: run.status,
          completedAt: run.completedAt,
          durationMs: run.durationMs,
          error: base.error ?? run.error,
        };
      }
    },
  };
}
