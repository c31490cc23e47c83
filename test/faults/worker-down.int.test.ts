import type { JobView } from '../../api/schemas/jobs';
import { apiClient, uniqueName } from '../support/api';
import { fetchLedger } from '../support/ledger';
import { spawnWorker } from '../support/process';
import { deleteSchedules, startTestScheduler, type TestScheduler } from '../support/scheduler';
import { eventually, startTarget, type Target } from '../support/target';
import { setTimeout as sleep } from 'node:timers/promises';

const DOWN_SECONDS = Number(process.env.FAULT_WORKER_DOWN_SECONDS ?? 20);

/**
 * Fault table: no worker at all for a while (a bad deploy of the worker role, a node pool drained). The API and
 * Temporal keep going; the occurrences that fall in the gap are explained (one run waits for a worker, the others
 * are counted as skipped by the overlap policy), and the schedule resumes by itself when a worker is back.
 */
describe('fault: the worker down', () => {
  let target: Target;
  let api: TestScheduler;
  const name = uniqueName('noworker');

  const startWorker = () => spawnWorker(api, { EMAIL_SERVICE_URL: target.url });

  beforeAll(async () => {
    target = await startTarget();
    api = await startTestScheduler({ SCHEDULER_ROLE: 'api', EMAIL_SERVICE_URL: target.url });
  });
  afterAll(async () => {
    await deleteSchedules(api.client, [name]);
    await api.stop();
    await target.close();
  });

  test(`no worker for ${DOWN_SECONDS} s: every occurrence run or counted skipped, and the schedule resumes`, async () => {
    const client = apiClient(api.url);
    let worker = startWorker();
    try {
      const body = { name, service: 'email-service', endpoint: '/beat', cron: '@every 2s' };
      expect((await client.register(body)).status).toBe(201);
      await target.waitForCalls('/beat', 2);
      await worker.stop();
      const down = Date.now();
      await sleep(DOWN_SECONDS * 1000);
      expect(target.calls('/beat').filter((c) => c.at > down + 1000)).toEqual([]); // nothing ran without a worker
      worker = startWorker();
      const back = Date.now();
      await eventually(
        async () => target.calls('/beat').filter((c) => c.at > back).length,
        (n) => n >= 3,
        60_000,
      );
      await client.call('POST', `/api/jobs/${name}/pause`, { note: 'ledger' });
      const ledger = await eventually(
        () => fetchLedger(api.client, api.url, target, name),
        (l) => l.rows.length > 0 && l.rows.every((r) => r.status !== 'running') && l.lostRows.length === 0,
        60_000,
      );
      expect(ledger).toMatchObject({ duplicateDeliveries: [], lostRows: [], extraRows: [], countersEqualRows: true });
      const job = (await client.call<{ job: JobView }>('GET', `/api/jobs/${name}`)).body.job;
      // the gap's ~DOWN_SECONDS/2 occurrences: one run waited for the worker, the rest were skipped
      expect(job.stats.skipped).toBeGreaterThanOrEqual(Math.floor(DOWN_SECONDS / 2) - 2);
    } finally {
      await worker.stop();
    }
  });
});
