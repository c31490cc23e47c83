import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { apiClient, uniqueName } from '../support/api';
import { ledgerOf } from '../support/ledger';
import { freePort } from '../support/ports';
import { deleteSchedules } from '../support/scheduler';
import { startTarget, type Target } from '../support/target';

/**
 * Fault table: SIGTERM under load, as a rolling deploy sends it. The process stops taking work, lets the calls in
 * flight finish, and exits 0; a new process on the same data picks up the rest. Nothing is lost or run twice.
 */
describe('fault: SIGTERM under load', () => {
  const dataDir = mkdtempSync(path.join(process.env.INTEGRATION_TMP_DIR ?? '/tmp', 'sigterm-'));
  const taskQueue = `sigterm-${randomUUID()}`;
  const name = uniqueName('drain');
  let target: Target;
  let port: number;
  let connection: Connection;

  const start = (): { child: ChildProcess; output: () => string } => {
    let output = '';
    const child = spawn(process.execPath, [path.resolve(__dirname, '../../dist/main.js')], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS,
        TEMPORAL_TASK_QUEUE: taskQueue,
        SCHEDULER_DATA_DIR: dataDir,
        SCHEDULER_RECONCILE_MINUTES: '0',
        PORT: String(port),
        HOST: '127.0.0.1',
        EMAIL_SERVICE_URL: target.url,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    return { child, output: () => output };
  };
  const exited = (child: ChildProcess) =>
    new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)));

  beforeAll(async () => {
    target = await startTarget();
    target.answer('/slow', [{ status: 200, body: '{"ok":true}', delayMs: 2000 }]);
    port = await freePort();
    connection = await Connection.connect({ address: process.env.TEMPORAL_TEST_ADDRESS });
  });
  afterAll(async () => {
    await deleteSchedules(new Client({ connection }), [name]);
    await connection.close();
    await target.close();
  });

  test('in-flight runs finish before the exit; a new process ends the rest; every run delivered once and mirrored', async () => {
    const api = apiClient(`http://127.0.0.1:${port}`);
    const first = start();
    await api.ready();
    const job = { name, service: 'email-service', endpoint: '/slow', cron: '0 0 1 1 *', enabled: false };
    expect((await api.register(job)).status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await api.trigger(name)).body.execution.id);
    await target.waitForCalls('/slow', 5);
    const terminated = Date.now();
    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toBe(0);
    expect(Date.now() - terminated).toBeLessThan(30_000);
    // what was in flight was answered before the process went
    const inFlight = target.calls('/slow').filter((c) => c.at < terminated);
    expect(inFlight.length).toBeGreaterThanOrEqual(5);

    const second = start();
    try {
      await api.ready();
      for (const id of ids) expect(await api.finished(id, 60_000)).toMatchObject({ status: 'succeeded' });
      const ledger = await ledgerOf(new Client({ connection }), `http://127.0.0.1:${port}`, target, name);
      expect(ledger).toMatchObject({ duplicateDeliveries: [], lostRows: [], extraRows: [], countersEqualRows: true });
      expect(ledger.rows).toHaveLength(10);
    } finally {
      second.child.kill('SIGTERM');
      await exited(second.child);
    }
  });
});
