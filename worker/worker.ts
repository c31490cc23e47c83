import { type InjectedSinks, type NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from '../activities';
import type { ExecutionSinks } from '../jobs/execution-events';
import { mirrorTaskQueueOf } from '../jobs/ids';

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
  /** Mirror writes in flight at once, on their own task queue. */
  maxConcurrentMirrorWrites: number;
  /**
   * 0 runs workflows on the main thread: one V8 isolate instead of two, ~29 MiB less RSS, at the cost of workflow
   * tasks (sub-millisecond for runJob) sharing the event loop with the API. n ≥ 1: that many worker threads.
   */
  workflowThreads: number;
}

const noop = { fn: () => undefined };
/** Sinks that drop every event: for a worker or a replay with no logs or metrics to feed. */
export const NO_EXECUTION_SINKS: InjectedSinks<ExecutionSinks> = { executions: { started: noop, ended: noop } };

/** The worker's two halves, run and stopped together. */
export interface Workers {
  /** Resolves when both have shut down; rejects when either fails. */
  run(): Promise<void>;
  shutdown(): void;
}

/**
 * A worker for `runJob` runs, their calls and the reconciler, sized for the seed's 256 MiB pod; and beside it, on
 * `<task queue>-mirror`, one for the mirror writes alone. A bulkhead: writes stuck on a locked or unreachable
 * mirror hold slots of their own, never the slots the calls need.
 */
export async function createWorkers(opts: WorkerOptions): Promise<Workers> {
  const main = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: { codePath: opts.workflowBundlePath },
    activities: opts.activities,
    sinks: opts.sinks,
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: 10,
    maxCachedWorkflows: 100,
    shutdownGraceTime: '10s',
    // Main-thread workflows lean on SDK 1.24.0 internals, not on its public API: check both at every SDK upgrade.
    // `debugMode: true` is public but documented for attaching a debugger; it is the only switch that runs workflows
    // on the main thread (no worker thread), and it lifts the 5 s limit on a workflow activation (4294967295 ms).
    // `isolateExecutionTimeout` puts the limit (the deadlock detector) back; it is not in the public `WorkerOptions`
    // type: only in `WorkerOptionsWithDefaults` ("not exposed at the moment"), and it takes effect only because
    // `addDefaultWorkerOptions` spreads the caller's options over its defaults.
    ...(opts.workflowThreads === 0
      ? { debugMode: true, isolateExecutionTimeout: '5s' }
      : { workflowThreadPoolSize: opts.workflowThreads }),
  });
  const mirror = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: mirrorTaskQueueOf(opts.taskQueue),
    activities: { recordExecution: opts.activities.recordExecution },
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentMirrorWrites,
    shutdownGraceTime: '10s',
  });
  const both = [main, mirror];
  return {
    run: () => Promise.all(both.map((w) => w.run())).then(() => undefined),
    shutdown() {
      for (const w of both) if (w.getState() === 'RUNNING') w.shutdown();
    },
  };
}
