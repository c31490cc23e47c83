import { type InjectedSinks, type NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from '../activities';
import type { ExecutionSinks } from '../jobs/execution-events';

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
   * 0 runs workflows on the main thread: one V8 isolate instead of two, ~29 MiB less RSS, at the cost of workflow
   * tasks (sub-millisecond for runJob) sharing the event loop with the API. n ≥ 1: that many worker threads.
   */
  workflowThreads: number;
}

/** A worker for `runJob` runs and their activities, sized for the seed's 256 MiB pod. */
export function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
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
    ...(opts.workflowThreads === 0
      ? // the SDK's "debugMode" is its main-thread mode; the deadlock detector stays on with an explicit timeout
        { debugMode: true, isolateExecutionTimeout: '5s' }
      : { workflowThreadPoolSize: opts.workflowThreads }),
  });
}
