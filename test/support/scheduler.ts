import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { App } from '../../api/app';
import { loadConfig } from '../../config/config';
import { scheduleIdOf } from '../../jobs/ids';
import { startScheduler } from '../../main';
import { deleteSchedule } from '../../temporal/schedules';

export interface TestScheduler {
  app: App;
  /** Base URL of the listening API. */
  url: string;
  client: Client;
  dataDir: string;
  taskQueue: string;
  stop(): Promise<void>;
}

/**
 * The real composition root (main.ts) against the integration run's Temporal dev server, on its own task queue
 * and data directory. `env` adds or overrides variables, e.g. `EMAIL_SERVICE_URL` or `SUPABASE_URL`.
 */
export async function startTestScheduler(
  env: Record<string, string | undefined> = {},
  /** `log`: where the process logs (its level stays `LOG_LEVEL`'s); default: stdout. */
  { log }: { log?: pino.Logger } = {},
): Promise<TestScheduler> {
  quietRuntime();
  const dataDir = mkdtempSync(path.join(process.env.INTEGRATION_TMP_DIR ?? '/tmp', 'data-'));
  const taskQueue = `test-${randomUUID()}`;
  const config = loadConfig({
    TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS,
    SCHEDULER_WORKFLOW_BUNDLE: process.env.SCHEDULER_WORKFLOW_BUNDLE,
    TEMPORAL_TASK_QUEUE: taskQueue,
    SCHEDULER_DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    SCHEDULER_RECONCILE_MINUTES: '0', // test schedulers share one namespace; the reconcile test turns it on
    ...env,
  });
  const running = await startScheduler(config, log ?? pino({ level: config.logLevel }));
  const app = running.app;
  if (!app) throw new Error('the test scheduler runs with an API');
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const connection = await Connection.connect({ address: config.temporal.address });
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    client: new Client({ connection }),
    dataDir,
    taskQueue,
    async stop() {
      await connection.close();
      await running.stop();
    },
  };
}

let runtimeInstalled = false;
/** The SDK logs state changes at INFO and each failed run at WARN; tests fail runs on purpose. Once per process. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // already installed by an earlier test file in this process
  }
}

/** Deletes the schedules of these jobs, if they still exist: each test file cleans up what it registered. */
export async function deleteSchedules(client: Client, jobNames: Iterable<string>): Promise<void> {
  for (const name of jobNames) await deleteSchedule(client, scheduleIdOf(name));
}
