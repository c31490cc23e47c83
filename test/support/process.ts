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
function spawnScheduler(env: Record<string, string>): SchedulerProcess {
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

/**
 * A worker of its own (`SCHEDULER_ROLE=worker`, nobody calls it) for the API of `deployment`: its task queue and data
 * directory (so the same SQLite mirror), `env` adding the rest (the services' URLs, a store). For faults that kill
 * or stop the worker while the API runs in the test's process.
 */
export function spawnWorker(
  deployment: { taskQueue: string; dataDir: string },
  env: Record<string, string>,
): SchedulerProcess {
  return spawnScheduler({
    ...env,
    SCHEDULER_ROLE: 'worker',
    TEMPORAL_TASK_QUEUE: deployment.taskQueue,
    SCHEDULER_DATA_DIR: deployment.dataDir,
    PORT: '0',
  });
}

/**
 * One deployment of the service: every process it starts shares its task queue and data directory. `replicas`
 * (default 1) processes each have a port of their own, kept across restarts, as a pod keeps its address.
 */
export function deploymentOf(prefix: string, replicas = 1) {
  const dataDir = mkdtempSync(path.join(process.env.INTEGRATION_TMP_DIR ?? tmpdir(), `${prefix}-`));
  const taskQueue = `${prefix}-${randomUUID()}`;
  const ports: number[] = [];
  const urlOf = (replica: number) => `http://127.0.0.1:${ports[replica]}`;
  return {
    dataDir,
    taskQueue,
    /** Picks the ports; call it before the first start. */
    async init() {
      while (ports.length < replicas) {
        const port = await freePort();
        if (!ports.includes(port)) ports.push(port);
      }
    },
    /** The first replica's base URL. */
    get url() {
      return urlOf(0);
    },
    /** Replica `replica`'s base URL (0-based). */
    urlOf,
    /** Starts replica `replica` (default 0) on its port. */
    start: (env: Record<string, string> = {}, replica = 0) =>
      spawnScheduler({
        TEMPORAL_TASK_QUEUE: taskQueue,
        SCHEDULER_DATA_DIR: dataDir,
        PORT: String(ports[replica]),
        ...env,
      }),
  };
}
