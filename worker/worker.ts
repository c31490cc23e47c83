import { type InjectedSinks, type NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from '../activities';
import type { ExecutionSinks } from '../jobs/execution-events';
import { alertsTaskQueueOf, mirrorTaskQueueOf } from '../jobs/ids';

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  /** Run starts and ends, once each (logs and metrics). */
  sinks?: InjectedSinks<ExecutionSinks>;
  /** The workflow bundle built by `npm run build`: bundling at start would cost ~65 MiB and seconds. */
  workflowBundlePath: string;
  maxConcurrentActivities: number;
  /**
   * The runs' worker's workflow task slots and sticky cache (runs kept in memory between their tasks; an evicted one
   * is replayed from its history). A herd of n runs keeps up to n open at once. Slots ≤ cache (the SDK's rule).
   */
  maxWorkflowTasks: number;
  maxCachedWorkflows: number;
  /** Mirror writes in flight at once, on their own task queue. */
  maxConcurrentMirrorWrites: number;
  /**
   * 0 runs workflows on the main thread: one V8 isolate instead of two, ~29 MiB less RSS, at the cost of workflow
   * tasks (sub-millisecond for runJob) sharing the event loop with the API. n ≥ 1: that many worker threads.
   */
  workflowThreads: number;
  /**
   * What this process polls: `runs` (the runs, their calls, the reconciler and, beside them, the mirror writes) and
   * `alerts` (the jobs' alert watches, on `<task queue>-alerts`). The processes that serve the API poll the alerts, so
   * that a stopped job worker is still noticed (docs/alerts.md).
   */
  polls: { runs: boolean; alerts: boolean };
}

const noop = { fn: () => undefined };
/** Sinks that drop every event: for a worker or a replay with no logs or metrics to feed. */
export const NO_EXECUTION_SINKS: InjectedSinks<ExecutionSinks> = { executions: { started: noop, ended: noop } };

/**
 * Where workflow tasks run: `threads` 0 on the main thread, n ≥ 1 in that many worker threads
 * ({@link WorkerOptions.workflowThreads}).
 *
 * On the main thread there is no deadlock detector. The SDK's detector is a `vm` timeout: past it, V8 terminates the
 * script, and when that lands in the sandbox's microtasks (where workflow code resumes after each `await`) Node's
 * async-hook stack is left corrupted and the whole process aborts (`InternalCallbackScope::Close`,
 * `execution_async_id() == 0`; Node issue 38503, sdk-typescript issue 939). So an activation that is only slow (a
 * replay on a starved CPU, a long garbage collection) would kill the API and every run with it;
 * test/slow-workflow-task.int.test.ts shows it finishing instead. A workflow truly stuck holds the event loop, and the
 * liveness probe (`/health`) restarts the pod. `debugMode: true` is public but documented for attaching a debugger;
 * it is the only switch that runs workflows on the main thread, and it lifts the detector (a limit of 4294967295 ms).
 * Main-thread workflows lean on SDK 1.24.0 behaviour: check it at every SDK upgrade.
 *
 * In worker threads the SDK's detector stays (5 s): a task past it fails and Temporal retries it, the process lives.
 */
export function workflowPlacement(threads: number): { debugMode: true } | { workflowThreadPoolSize: number } {
  return threads === 0 ? { debugMode: true } : { workflowThreadPoolSize: threads };
}

/** The process's workers, run and stopped together. */
export interface Workers {
  /** Resolves when all have shut down; rejects when one fails. */
  run(): Promise<void>;
  shutdown(): void;
}

/**
 * A worker for `runJob` runs, their calls and the reconciler, sized for the seed's 256 MiB pod; beside it, on
 * `<task queue>-mirror`, one for the mirror writes alone (a bulkhead: writes stuck on a locked or unreachable mirror
 * hold slots of their own, never the slots the calls need); and, on `<task queue>-alerts`, one for the jobs' alert
 * watches and their deliveries. Which of them run is {@link WorkerOptions.polls}.
 */
export async function createWorkers(opts: WorkerOptions): Promise<Workers> {
  const workflows = {
    connection: opts.connection,
    namespace: opts.namespace,
    workflowBundle: { codePath: opts.workflowBundlePath },
    // the alert watches' worker keeps these; the runs' worker has its own, sized for a herd
    maxConcurrentWorkflowTaskExecutions: 10,
    maxCachedWorkflows: 100,
    shutdownGraceTime: '10s',
    ...workflowPlacement(opts.workflowThreads),
  };
  const { activities } = opts;
  const workers: Worker[] = [];
  if (opts.polls.runs) {
    workers.push(
      await Worker.create({
        ...workflows,
        taskQueue: opts.taskQueue,
        activities,
        sinks: opts.sinks,
        maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivities,
        maxConcurrentWorkflowTaskExecutions: opts.maxWorkflowTasks,
        maxCachedWorkflows: opts.maxCachedWorkflows,
      }),
      await Worker.create({
        connection: opts.connection,
        namespace: opts.namespace,
        taskQueue: mirrorTaskQueueOf(opts.taskQueue),
        activities: { recordExecution: activities.recordExecution },
        maxConcurrentActivityTaskExecutions: opts.maxConcurrentMirrorWrites,
        shutdownGraceTime: '10s',
      }),
    );
  }
  if (opts.polls.alerts) {
    const { readJobHealth, recordAlert, listAlertDestinations, deliverAlert } = activities;
    workers.push(
      await Worker.create({
        ...workflows,
        taskQueue: alertsTaskQueueOf(opts.taskQueue),
        activities: { readJobHealth, recordAlert, listAlertDestinations, deliverAlert },
        maxConcurrentActivityTaskExecutions: 20,
      }),
    );
  }
  return {
    run: () => Promise.all(workers.map((w) => w.run())).then(() => undefined),
    shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
  };
}
