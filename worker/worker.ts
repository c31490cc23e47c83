import { type NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from '../activities';

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  /** The workflow bundle built by `npm run build`: bundling at start would cost ~65 MiB and seconds. */
  workflowBundlePath: string;
  maxConcurrentActivities: number;
}

/** A worker for `runJob` runs and their activities, sized for the seed's 256 MiB pod. */
export function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: { codePath: opts.workflowBundlePath },
    activities: opts.activities,
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: 10,
    maxCachedWorkflows: 100,
    shutdownGraceTime: '10s',
  });
}
