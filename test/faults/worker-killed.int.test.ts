import { apiClient, uniqueName } from '../support/api';
import { fetchLedger } from '../support/ledger';
import { spawnWorker } from '../support/process';
import { deleteSchedules, startTestScheduler, type TestScheduler } from '../support/scheduler';
import { startTarget, type Target } from '../support/target';

const KILLS = Number(process.env.FAULT_WORKER_KILLS ?? 2);

/**
 * Fault table: the worker SIGKILLed in the middle of a call, again and again (an OOM kill, a node lost). The API runs
 * in this process; the worker is a process of its own (SCHEDULER_ROLE=worker) that is killed while the service is
 * still answering, then started again. Each run is finished by the next worker: delivered again only under the
 * same Idempotency-Key, mirrored once, counted once.
 */
describe('fault: the worker killed mid-call', () => {
  let target: Target;
  let api: TestScheduler;
  const name = uniqueName('killed');

  const startWorker = () => spawnWorker(api, { EMAIL_SERVICE_URL: target.url });

  beforeAll(async () => {
    target = await startTarget();
    target.answer('/slow', [{ status: 200, body: '{"done":true}', delayMs: 3000 }]);
    api = await startTestScheduler({ SCHEDULER_ROLE: 'api', EMAIL_SERVICE_URL: target.url });
  });
  afterAll(async () => {
    await deleteSchedules(api.client, [name]);
    await api.stop();
    await target.close();
  });

  test(`${KILLS} kills mid-call: every run ends succeeded, redelivered only under its own key, one row each`, async () => {
    const client = apiClient(api.url);
    expect(
      (await client.register({ name, service: 'email-service', endpoint: '/slow', cron: '0 0 1 1 *', enabled: false }))
        .status,
    ).toBe(201);
    let worker = startWorker();
    const ids: string[] = [];
    try {
      for (let i = 0; i < KILLS; i++) {
        const id = (await client.trigger(name)).body.execution.id;
        ids.push(id);
        const seen = target.calls('/slow').length;
        await target.waitForCalls('/slow', seen + 1, 60_000);
        await worker.stop('SIGKILL'); // the service is still working on the call
        worker = startWorker();
        expect(await client.finished(id, 120_000)).toMatchObject({ status: 'succeeded' });
      }
    } finally {
      await worker.stop('SIGKILL');
    }
    const ledger = await fetchLedger(api.client, api.url, target, name);
    expect(ledger).toMatchObject({ lostRows: [], extraRows: [], countersEqualRows: true });
    expect(ledger.rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    // every delivery carried its execution's own key, so a service that deduplicates on it does the work once
    const keys = target.calls('/slow').map((c) => String(c.headers['idempotency-key']));
    expect(new Set(keys)).toEqual(new Set(ids));
    expect(target.calls('/slow').every((c) => c.headers['idempotency-key'] === c.json?.executionId)).toBe(true);
  });
});
