import { apiClient, uniqueName } from '../support/api';
import { fetchLedger, runsHeldUp } from '../support/ledger';
import { databaseUrl, withClient } from '../support/postgres';
import { startOwnMirror, type OwnMirror } from '../support/stack';
import { deleteSchedules, startTestScheduler, type TestScheduler } from '../support/scheduler';
import { eventually, startTarget, type Target } from '../support/target';
import { setTimeout as sleep } from 'node:timers/promises';

const DOWN_SECONDS = Number(process.env.FAULT_STORE_DOWN_SECONDS ?? 10);

/**
 * Fault table: the mirror's PostgREST unreachable, then its PostgreSQL refusing every connection, each for
 * DOWN_SECONDS, while a job runs every second. Calls stay on time (the mirror never delays a call); once the store is
 * back every run has exactly one row and the counters equal the rows: nothing written during the outage is lost.
 * A database, PostgREST and gateway of this test's own, so the outage touches no other test.
 */
describe('fault: the store down during mirror writes', () => {
  let mirror: OwnMirror;
  let target: Target;
  let scheduler: TestScheduler;
  const name = uniqueName('storedown');

  beforeAll(async () => {
    mirror = await startOwnMirror();
    target = await startTarget();
    scheduler = await startTestScheduler({ EMAIL_SERVICE_URL: target.url, ...mirror.env() });
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, [name]);
    await scheduler.stop();
    await target.close();
    await mirror.stop();
  });

  /** Calls made while `outage` ran. */
  const callsDuring = async (outage: () => Promise<void>) => {
    const from = Date.now();
    await outage();
    const to = Date.now();
    return target.calls('/tick').filter((c) => c.at > from && c.at < to);
  };

  test(`PostgREST unreachable ${DOWN_SECONDS} s, then PostgreSQL down ${DOWN_SECONDS} s: calls on time, no row lost`, async () => {
    const api = apiClient(scheduler.url);
    // allow_all: every occurrence starts whatever Temporal knows of the last run (see mirror-lock.int.test.ts)
    const job = { name, service: 'email-service', endpoint: '/tick', cron: '@every 1s', overlap: 'allow_all' };
    expect((await api.register(job)).status).toBe(201);
    await target.waitForCalls('/tick', 2);

    const postgrestDown = await callsDuring(async () => {
      await mirror.gateway.close();
      expect((await api.call<{ store: string }>('GET', '/ready')).body.store).toBe('down');
      await sleep(DOWN_SECONDS * 1000);
      await mirror.restartGateway();
    });

    const admin = databaseUrl('postgres');
    const postgresDown = await callsDuring(async () => {
      await withClient(admin, async (pg) => {
        await pg.query(`ALTER DATABASE "${mirror.database.database}" ALLOW_CONNECTIONS false`);
        await pg.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
          mirror.database.database,
        ]);
      });
      await eventually(
        () => api.call<{ store: string }>('GET', '/ready'),
        (r) => r.body.store === 'down',
        10_000,
      );
      await sleep(DOWN_SECONDS * 1000);
      await withClient(admin, (pg) => pg.query(`ALTER DATABASE "${mirror.database.database}" ALLOW_CONNECTIONS true`));
    });

    for (const outage of [postgrestDown, postgresDown]) {
      expect(outage.length).toBeGreaterThanOrEqual(DOWN_SECONDS - 2); // one a second went on
    }

    // the store may still be reconnecting: the pause is mirrored too
    await eventually(
      () => api.call('POST', `/api/jobs/${name}/pause`, { note: 'ledger' }),
      (r) => r.status === 200,
      60_000,
    );
    const ledger = await eventually(
      () => fetchLedger(scheduler.client, scheduler.url, target, name),
      (l) => l.lostRows.length === 0 && l.rows.every((r) => r.status !== 'running') && l.countersEqualRows,
      180_000,
    );
    expect(ledger).toMatchObject({ duplicateDeliveries: [], lostRows: [], extraRows: [], countersEqualRows: true });
    expect(ledger.rows.length).toBeGreaterThanOrEqual(2 * DOWN_SECONDS);
    // what the outages could delay, from Temporal's own record of each run; Temporal's lateness in starting them apart
    expect(await runsHeldUp(scheduler.client, name, [...postgrestDown, ...postgresDown])).toEqual([]);
  });
});
