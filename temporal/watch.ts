import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { watchedRunOf, type CountersReading, type WatchJobInput, type WatchRules } from '../jobs/alert-watch';
import type { ExecutionRecord } from '../jobs/execution';
import type { JobDefinition } from '../jobs/job';
import type { JobStore } from '../store/job-store';
import { alertsTaskQueueOf, watchWorkflowIdOf } from '../jobs/ids';
import { WatchSignal, WorkflowType } from '../jobs/workflow-types';

/** Job alert watches (workflows/watch-job.ts) from the outside: the API, the mirror's writes, the reconciler. */

/**
 * Sends a job's watch a signal ({@link WatchSignal}), starting the watch with `start` first when it is not running:
 * one round trip (signalWithStart), so a signal is never lost to a watch not yet started. `taskQueue` is the runs'
 * (the watch runs on its alerts queue beside it).
 */
async function signalWatch(
  client: Client,
  taskQueue: string,
  start: WatchJobInput,
  signal: keyof typeof WatchSignal,
  arg: unknown,
): Promise<void> {
  await client.workflow.signalWithStart(WorkflowType.watchJob, {
    workflowId: watchWorkflowIdOf(start.job.name),
    taskQueue: alertsTaskQueueOf(taskQueue),
    args: [start],
    signal: WatchSignal[signal],
    signalArgs: [arg],
  });
}

/** Ends a deleted job's watch; a watch already gone is fine. */
async function stopWatch(client: Client, jobName: string): Promise<void> {
  await client.workflow
    .getHandle(watchWorkflowIdOf(jobName))
    .terminate('job deleted')
    .catch((err: unknown) => {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    });
}

/** What a watch needs that only the composition root knows: the job's rules under the configured defaults. */
export interface WatchNotifierDeps {
  client: Client;
  store: JobStore;
  taskQueue: string;
  /** The job's rules and destinations as the watch takes them (config's defaults applied). */
  rulesOf(definition: JobDefinition): WatchRules;
}

/**
 * Tells job watches what happens outside them, starting a watch that is not running: a run that ended unsuccessful
 * (from the mirror's write of its row), the schedule's counters (from the reconciler), new rules (from a
 * registration); and ends the watch of a deleted job. A job with no row in the mirror (deleted) is not told.
 */
export function createWatchNotifier({ client, store, taskQueue, rulesOf }: WatchNotifierDeps) {
  const startOf = (definition: JobDefinition): WatchJobInput => ({
    job: { name: definition.name, service: definition.service },
    ...rulesOf(definition),
  });
  const tell = async (jobName: string, signal: keyof typeof WatchSignal, arg: unknown) => {
    const row = await store.getJob(jobName);
    if (row) await signalWatch(client, taskQueue, startOf(row.definition), signal, arg);
  };
  return {
    runEnded: (execution: ExecutionRecord) => tell(execution.jobName, 'runEnded', watchedRunOf(execution)),
    counters: (jobName: string, counters: CountersReading) => tell(jobName, 'counters', counters),
    rulesChanged: (definition: JobDefinition) => {
      const start = startOf(definition);
      const rules: WatchRules = { rules: start.rules, destinations: start.destinations };
      return signalWatch(client, taskQueue, start, 'rules', rules);
    },
    stop: (jobName: string) => stopWatch(client, jobName),
  };
}

export type WatchNotifier = ReturnType<typeof createWatchNotifier>;
