import { Client as PgClient } from 'pg';
import { apiClient, uniqueName } from '../support/api';
import { fetchLedger } from '../support/ledger';
import { deleteSchedules, startTestScheduler, type TestScheduler } from '../support/scheduler';
import { eventually, startTarget, type Target } from '../support/target';
import { setTimeout as sleep } from 'node:timers/promises';

const LOCK_SECONDS = Number(process.env.FAULT_LOCK_SECONDS ?? 30);

/**
 * Fault table: the mirror table locked (a long migration, a stuck transaction) while runs go on. Calls must stay
 * on time, since the mirror never delays a call; the rows land once the lock is released.
 */
describe('fault: the mirror table locked', () => {
  let target: Target;
  let scheduler: TestScheduler;
  const name = uniqueName('locked');

  beforeAll(async () => {
    target = await startTarget();
    scheduler = await startTestScheduler({
      EMAIL_SERVICE_URL: target.url,
      SUPABASE_URL: process.env.SUPABASE_TEST_URL!,
      SUPABASE_SERVICE_KEY: process.env.SUPABASE_TEST_SERVICE_KEY!,
    });
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, [name]);
    await scheduler.stop();
    await target.close();
  });

  test(`scheduled_jobs locked ${LOCK_SECONDS} s: every call on time, every row after`, async () => {
    const api = apiClient(scheduler.url);
    expect(
      (await api.register({ name, service: 'email-service', endpoint: '/locked', cron: '@every 1s' })).status,
    ).toBe(201);
    await target.waitForCalls('/locked', 2);
    const pg = new PgClient({ connectionString: process.env.SUPABASE_TEST_DB_URL });
    await pg.connect();
    const lockedAt = Date.now();
    try {
      await pg.query('BEGIN');
      await pg.query('LOCK TABLE scheduled_jobs IN ACCESS EXCLUSIVE MODE');
      await sleep(LOCK_SECONDS * 1000);
    } finally {
      await pg.query('COMMIT');
      await pg.end();
    }
    const unlockedAt = Date.now();
    const during = target.calls('/locked').filter((c) => c.at > lockedAt && c.at < unlockedAt);
    const lateness = during.map((c) => c.at - Date.parse(String(c.headers['x-scheduler-scheduled-at'])));
    expect(during.length).toBeGreaterThanOrEqual(LOCK_SECONDS - 2); // one a second went on
    expect(Math.max(...lateness)).toBeLessThan(1500);

    await api.call('POST', `/api/jobs/${name}/pause`, { note: 'ledger' });
    const ledger = await eventually(
      () => fetchLedger(scheduler.client, scheduler.url, target, name),
      (l) => l.lostRows.length === 0 && l.rows.every((r) => r.status !== 'running') && l.countersEqualRows,
      120_000,
    );
    expect(ledger).toMatchObject({ duplicateDeliveries: [], lostRows: [], extraRows: [], countersEqualRows: true });
  });
});
