import type { JobView } from '../../api/schemas/jobs';
import { apiClient, uniqueName } from '../support/api';
import { fetchLedger } from '../support/ledger';
import { useSchedulerWithTarget } from '../support/fixture';
import { eventually } from '../support/target';
import { setTimeout as sleep } from 'node:timers/promises';

const DOWN_SECONDS = Number(process.env.FAULT_TARGET_DOWN_SECONDS ?? 15);

/**
 * Fault table: the target service down (connections refused), then a 5xx storm, then a non-retryable 4xx. Every
 * occurrence is a run or is counted as skipped; runs caught by the outage are retried into success once it is
 * back, each delivered with its own Idempotency-Key and answered 2xx once; counters equal rows.
 */
describe('fault: the target down, a 5xx storm, a 4xx', () => {
  const fixture = useSchedulerWithTarget();
  const api = () => apiClient(fixture.scheduler.url);

  const register = async (endpoint: string, extra: Record<string, unknown>) => {
    const name = uniqueName('down');
    fixture.jobs.push(name);
    const body = { name, service: 'email-service', endpoint, cron: '@every 3s', ...extra };
    expect((await api().register(body)).status).toBe(201);
    return name;
  };
  /** Pauses the job, waits for its runs to end, and returns the ledger and the job's stats. */
  const settle = async (name: string) => {
    await api().call('POST', `/api/jobs/${name}/pause`, { note: 'ledger' });
    const ledger = await eventually(
      () => fetchLedger(fixture.scheduler.client, fixture.scheduler.url, fixture.target, name),
      (l) => l.rows.length > 0 && l.rows.every((r) => r.status !== 'running') && l.lostRows.length === 0,
      120_000,
    );
    const job = (await api().call<{ job: JobView }>('GET', `/api/jobs/${name}`)).body.job;
    return { ledger, job };
  };

  test(`down ${DOWN_SECONDS} s: runs retry through the outage and succeed after it; the rest are counted as skipped`, async () => {
    const retry = { maxAttempts: 20, initialIntervalSeconds: 1, backoffCoefficient: 1.5, maxIntervalSeconds: 5 };
    const name = await register('/down', { retry });
    await fixture.target.waitForCalls('/down', 1);
    const first = Date.now();
    await fixture.target.down();
    await sleep(DOWN_SECONDS * 1000);
    await fixture.target.up();
    await eventually(
      async () => fixture.target.calls('/down').filter((c) => c.at > first + DOWN_SECONDS * 1000).length,
      (n) => n >= 2,
      60_000,
    );
    const last = Date.now();
    const { ledger, job } = await settle(name);
    expect(ledger).toMatchObject({ duplicateDeliveries: [], lostRows: [], extraRows: [], countersEqualRows: true });
    expect(ledger.rows.every((r) => r.status === 'succeeded')).toBe(true);
    expect(ledger.rows.some((r) => (r.attempts ?? 0) > 1)).toBe(true); // one was caught by the outage and retried
    // every occurrence in the window is explained: a run, or skipped by the overlap policy while one retried
    const occurrences = Math.floor((last - first) / 3000);
    expect(ledger.rows.length + job.stats.skipped).toBeGreaterThanOrEqual(occurrences - 1);
  });

  test('a 5xx storm: each attempt retried, each run ends failed after its attempts or succeeded once it passes', async () => {
    fixture.target.answer('/storm', [...Array.from({ length: 6 }, () => ({ status: 503 })), { status: 200 }]);
    const name = await register('/storm', {
      retry: { maxAttempts: 3, initialIntervalSeconds: 1, maxIntervalSeconds: 1 },
    });
    await eventually(
      async () => fixture.target.calls('/storm').filter((c) => c.status === 200).length,
      (n) => n >= 1,
      60_000,
    );
    const { ledger } = await settle(name);
    expect(ledger).toMatchObject({ duplicateDeliveries: [], lostRows: [], extraRows: [], countersEqualRows: true });
    const failed = ledger.rows.filter((r) => r.status === 'failed');
    expect(failed.length).toBeGreaterThanOrEqual(2); // 6 × 503 = two runs of 3 attempts
    expect(failed.every((r) => r.attempts === 3 && r.httpStatus === 503)).toBe(true);
  });

  test('a non-retryable 4xx: one attempt per run, each run failed, none repeated', async () => {
    fixture.target.answer('/gone', [{ status: 410 }]);
    const name = await register('/gone', {});
    await fixture.target.waitForCalls('/gone', 2);
    const { ledger } = await settle(name);
    expect(ledger).toMatchObject({ duplicateDeliveries: [], lostRows: [], extraRows: [], countersEqualRows: true });
    expect(ledger.rows.every((r) => r.status === 'failed' && r.attempts === 1 && r.httpStatus === 410)).toBe(true);
    expect(fixture.target.calls('/gone').length).toBe(ledger.rows.length);
  });
});
