import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './ports';

export interface SchedulerProcess {
  child: ChildProcess;
  /** Everything it wrote so far. */
  output(): string;
  /** Sends `signal` (default SIGTERM) and resolves once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * `node dist/main.js` as its own process against the integration run's Temporal, for faults that kill it. `env` sets
 * at least TEMPORAL_TASK_QUEUE, SCHEDULER_DATA_DIR and PORT (PORT=0 for a worker nobody calls).
 */
export function spawnScheduler(env: Record<string, string>): SchedulerProcess {
  let output = '';
  const child = spawn(process.execPath, [path.resolve(__dirname, '../../dist/main.js')], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS,
      SCHEDULER_RECONCILE_MINUTES: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return {
    child,
    output: () => output,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}

/** One deployment of the service: every process it starts shares its task queue, data directory and port. */
export function deploymentOf(prefix: string) {
  const dataDir = mkdtempSync(path.join(process.env.INTEGRATION_TMP_DIR ?? tmpdir(), `${prefix}-`));
  const taskQueue = `${prefix}-${randomUUID()}`;
  let port = 0;
  return {
    dataDir,
    taskQueue,
    /** Picks the port; call it before the first start. */
    async init() {
      port = await freePort();
    },
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    start: (env: Record<string, string> = {}) =>
      spawnScheduler({ TEMPORAL_TASK_QUEUE: taskQueue, SCHEDULER_DATA_DIR: dataDir, PORT: String(port), ...env }),
  };
}
