import { Client, Connection } from '@temporalio/client';
import { apiClient, uniqueName } from '../support/api';
import { fetchLedger } from '../support/ledger';
import { deploymentOf } from '../support/process';
import { deleteSchedules } from '../support/scheduler';
import { startTarget, type Target } from '../support/target';

/**
 * Fault table: SIGTERM under load, as a rolling deploy sends it. The process stops taking work, lets the calls in
 * flight finish, and exits 0; a new process on the same data picks up the rest. Nothing is lost or run twice.
 */
describe('fault: SIGTERM under load', () => {
  const deployment = deploymentOf('sigterm');
  const name = uniqueName('drain');
  let target: Target;
  let connection: Connection;
  const start = () => deployment.start({ EMAIL_SERVICE_URL: target.url });

  beforeAll(async () => {
    target = await startTarget();
    target.answer('/slow', [{ status: 200, body: '{"ok":true}', delayMs: 2000 }]);
    await deployment.init();
    connection = await Connection.connect({ address: process.env.TEMPORAL_TEST_ADDRESS });
  });
  afterAll(async () => {
    await deleteSchedules(new Client({ connection }), [name]);
    await connection.close();
    await target.close();
  });

  test('in-flight runs finish before the exit; a new process ends the rest; every run delivered once and mirrored', async () => {
    const api = apiClient(deployment.url);
    const first = start();
    await api.ready();
    const job = { name, service: 'email-service', endpoint: '/slow', cron: '0 0 1 1 *', enabled: false };
    expect((await api.register(job)).status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await api.trigger(name)).body.execution.id);
    await target.waitForCalls('/slow', 5);
    const terminated = Date.now();
    expect(await first.stop()).toBe(0);
    expect(Date.now() - terminated).toBeLessThan(30_000);
    // what was in flight was answered before the process went
    const inFlight = target.calls('/slow').filter((c) => c.at < terminated);
    expect(inFlight.length).toBeGreaterThanOrEqual(5);

    const second = start();
    try {
      await api.ready();
      for (const id of ids) expect(await api.finished(id, 60_000)).toMatchObject({ status: 'succeeded' });
      const ledger = await fetchLedger(new Client({ connection }), deployment.url, target, name);
      expect(ledger).toMatchObject({ duplicateDeliveries: [], lostRows: [], extraRows: [], countersEqualRows: true });
      expect(ledger.rows).toHaveLength(10);
    } finally {
      await second.stop();
    }
  });
});
