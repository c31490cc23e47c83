import { Client as PgClient } from 'pg';
import { apiClient, uniqueName } from '../support/api';
import { fetchLedger, runsHeldUp } from '../support/ledger';
import { deleteSchedules, startTestScheduler, type TestScheduler } from '../support/scheduler';
import { sharedMirrorEnv } from '../support/stack';
import { eventually, startTarget, type Target } from '../support/target';
import { monitorEventLoopDelay } from 'node:perf_hooks';
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
      ...sharedMirrorEnv(),
    });
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, [name]);
    await scheduler.stop();
    await target.close();
  });

  test(`scheduled_jobs locked ${LOCK_SECONDS} s: every call on time, no run held, every row after`, async () => {
    const api = apiClient(scheduler.url);
    // allow_all: Temporal starts every occurrence whatever it knows of the last run. Under `skip` a job firing every
    // second loses an occurrence now and then with no lock at all: Temporal's scheduler can still see a run as
    // running that ended milliseconds before (the occurrence ledger names it), which is not what this test is about.
    const job = { name, service: 'email-service', endpoint: '/locked', cron: '@every 1s', overlap: 'allow_all' };
    expect((await api.register(job)).status).toBe(201);
    await target.waitForCalls('/locked', 2);
    const pg = new PgClient({ connectionString: process.env.SUPABASE_TEST_DB_URL });
    await pg.connect();
    // how late this process's event loop ran meanwhile: the calls are made here, so a stall of the whole process
    // (not of the mirror) shows in it, and a failure says so
    const loopDelay = monitorEventLoopDelay({ resolution: 20 });
    loopDelay.enable();
    const lockedAt = Date.now();
    let releasingAt = NaN;
    try {
      await pg.query('BEGIN');
      await pg.query('LOCK TABLE scheduled_jobs IN ACCESS EXCLUSIVE MODE');
      await sleep(LOCK_SECONDS * 1000);
    } finally {
      releasingAt = Date.now();
      await pg.query('COMMIT');
      await pg.end();
    }
    const unlockedAt = Date.now();
    loopDelay.disable();
    const during = target.calls('/locked').filter((c) => c.at > lockedAt && c.at < unlockedAt);
    expect(during.length).toBeGreaterThanOrEqual(LOCK_SECONDS - 2); // one a second went on

    await api.call('POST', `/api/jobs/${name}/pause`, { note: 'ledger' });
    const ledger = await eventually(
      () => fetchLedger(scheduler.client, scheduler.url, target, name),
      (l) => l.lostRows.length === 0 && l.rows.every((r) => r.status !== 'running') && l.countersEqualRows,
      120_000,
    );
    expect(ledger).toMatchObject({ duplicateDeliveries: [], lostRows: [], extraRows: [], countersEqualRows: true });
    // what the mirror could delay, from Temporal's own record of each run; Temporal's lateness in starting them apart
    const held = await runsHeldUp(scheduler.client, name, during);
    if (held.length > 0) {
      const at = (ms: number) => new Date(ms).toISOString();
      const ms = (ns: number) => Math.round(ns / 1e6);
      console.warn(
        `mirror-lock: locked ${at(lockedAt)}, COMMIT sent ${at(releasingAt)}, returned ${at(unlockedAt)}; ` +
          `event loop delay during it p99 ${ms(loopDelay.percentile(99))} ms, max ${ms(loopDelay.max)} ms`,
      );
    }
    expect(held).toEqual([]);
  });
});
