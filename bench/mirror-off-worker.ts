import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadConfig } from '../config/config';
import { createMemoryStore } from '../store/memory';
import { createWorkers, NO_EXECUTION_SINKS } from '../worker/worker';

/** Where the mirror-off runs go. */
export const MIRROR_OFF_TASK_QUEUE = 'bench-mirror-off';

/**
 * The scheduler's own worker (same bundle, same activities, same sizes), in a process of its own, with the mirror
 * writes turned into no-ops: what a run costs without its rows.
 */
async function main() {
  // its mirror half runs activities only, on purpose
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => {
      if (!entry.message.startsWith('No workflows registered')) console.error(entry.message, entry.meta ?? '');
    }),
  });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const defaults = loadConfig({}).worker;
  const workers = await createWorkers({
    connection,
    namespace: 'default',
    taskQueue: MIRROR_OFF_TASK_QUEUE,
    workflowBundlePath: path.join(__dirname, '..', 'workflow-bundle.js'),
    maxConcurrentActivities: 20,
    maxConcurrentMirrorWrites: 10,
    // the scheduler's own defaults, so the comparison is with runJob as deployed
    maxWorkflowTasks: defaults.maxWorkflowTasks,
    maxCachedWorkflows: defaults.maxCachedWorkflows,
    workflowThreads: 0,
    activities: {
      ...createActivities({
        store: createMemoryStore(),
        services: new Map([['bench-service', process.env.BENCH_SERVICE_URL!]]),
        fetch: globalThis.fetch,
      }),
      recordExecution: async () => undefined,
    },
    sinks: NO_EXECUTION_SINKS,
    polls: { runs: true, alerts: false },
  });
  process.once('SIGTERM', () => workers.shutdown());
  process.send?.('ready');
  await workers.run();
  await connection.close();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
