import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { workflowPlacement } from '../worker/worker';

/** The SDK's deadlock limit for one activation (its `isolateExecutionTimeout` default), in ms. */
const SDK_DEADLOCK_MS = 5_000;

/**
 * A worker set up as the product's (worker/worker.ts `workflowPlacement(0)`: workflows on the main thread, the
 * default), in a process of its own, runs one workflow task of about 8 s of CPU, past the SDK's deadlock limit. The
 * workflow loops after an `await`, in the sandbox's microtasks, where the SDK's `vm` timeout would corrupt Node's
 * async-hook stack and abort the process (exit 134): the abort three fresh-clone CI runs met during the alerts burst.
 * With the detector put back on the main thread, this test fails on that abort.
 */
const CHILD = `
const { Worker, NativeConnection, bundleWorkflowCode } = require('@temporalio/worker');
const { Client, Connection } = require('@temporalio/client');
(async () => {
  // the loop's speed, at its best of three tries: a try slowed by a busy machine must not shorten the spin
  let x = 0;
  let fastest = Infinity;
  for (let round = 0; round < 3; round++) {
    const t0 = Date.now();
    for (let i = 0; i < 3e7; i++) x = (x + i) % 1000003;
    fastest = Math.min(fastest, Math.max(1, Date.now() - t0));
  }
  const steps = Math.round((3e7 / fastest) * Number(process.env.SPIN_MS));
  const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  const { code } = await bundleWorkflowCode({ workflowsPath: process.env.WORKFLOW_FILE, logger: quiet });
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  const taskQueue = process.env.TASK_QUEUE;
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address }),
    taskQueue,
    workflowBundle: { code },
    ...JSON.parse(process.env.WORKFLOW_PLACEMENT),
  });
  const client = new Client({ connection: await Connection.connect({ address }) });
  const started = Date.now();
  const result = await worker.runUntil(
    client.workflow.execute('spin', { taskQueue, workflowId: taskQueue, args: [steps], workflowTaskTimeout: '2m' }),
  );
  console.log(JSON.stringify({ result, ms: Date.now() - started }));
})().catch((err) => {
  console.error(err);
  process.exit(2);
});
`;

describe('a slow workflow task on the main thread', () => {
  test('finishes: the process lives through an activation past the SDK deadlock limit', async () => {
    const root = path.resolve(__dirname, '..');
    const child = spawn(process.execPath, ['-e', CHILD], {
      cwd: root,
      env: {
        ...process.env,
        WORKFLOW_PLACEMENT: JSON.stringify(workflowPlacement(0)),
        WORKFLOW_FILE: path.join(__dirname, 'fixtures', 'spin-workflow.ts'),
        TASK_QUEUE: `slow-task-${randomUUID()}`,
        SPIN_MS: '8000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));

    expect({ code, output: code === 0 ? '' : output.slice(-2000) }).toEqual({ code: 0, output: '' });
    const report = JSON.parse(output.trim().split('\n').at(-1)!) as { result: number; ms: number };
    expect(typeof report.result).toBe('number');
    // the task really ran past the limit: otherwise the test would prove nothing
    expect(report.ms).toBeGreaterThan(SDK_DEADLOCK_MS);
  }, 180_000);
});
