import { Client as PgClient } from 'pg';
import { apiClient, uniqueName } from './support/api';
import { startGateway, type Gateway } from './support/postgrest';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { eventually, startTarget, type Target } from './support/target';
import { ActivityType } from '../jobs/workflow-types';
import { setTimeout as sleep } from 'node:timers/promises';

/** SPEC §6: with Supabase unreachable, runs still call their service, and their rows appear once it is back. */
describe('the store down', () => {
  let target: Target;
  let gateway: Gateway;
  let scheduler: TestScheduler;
  let api: ReturnType<typeof apiClient>;
  const name = uniqueName('outage');

  const rowsOf = async (jobName: string) => {
    const pg = new PgClient({ connectionString: process.env.SUPABASE_TEST_DB_URL });
    await pg.connect();
    try {
      const runs = await pg.query('SELECT id, status, attempts FROM scheduled_jobs WHERE job_name = $1', [jobName]);
      const job = await pg.query(
        'SELECT total_runs, successful_runs, failed_runs FROM job_schedules WHERE job_name = $1',
        [jobName],
      );
      return {
        runs: runs.rows as { id: string; status: string }[],
        job: job.rows[0] as Record<string, number> | undefined,
      };
    } finally {
      await pg.end();
    }
  };

  beforeAll(async () => {
    target = await startTarget();
    // a gateway of this test's own, in front of the run's PostgREST, so the test can take it down
    gateway = await startGateway(process.env.SUPABASE_TEST_POSTGREST_URL!);
    scheduler = await startTestScheduler({
      OUTAGE_SERVICE_URL: target.url,
      SUPABASE_URL: gateway.url,
      SUPABASE_SERVICE_KEY: process.env.SUPABASE_TEST_SERVICE_KEY!,
    });
    api = apiClient(scheduler.url);
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, [name]);
    await scheduler.stop();
    await gateway.close().catch(() => undefined);
    await target.close();
  });

  test('runs happen during the outage and are mirrored, counted once, after it', async () => {
    const reg = await api.register({
      name,
      service: 'outage-service',
      endpoint: '/tick',
      cron: '@every 1h',
      enabled: false,
    });
    expect(reg.status).toBe(201);

    await gateway.close();
    const ready = await api.call<{ store: string }>('GET', '/ready');
    expect(ready).toMatchObject({ status: 503, body: { store: 'down' } });

    const ids = [(await api.trigger(name)).body.execution.id, (await api.trigger(name)).body.execution.id];
    await target.waitForCalls('/tick', 2);
    expect(
      target
        .calls('/tick')
        .map((c) => c.json?.executionId)
        .sort(),
    ).toEqual([...ids].sort());
    // each run has ended with its call; its end row waits, in Temporal, in the run's mirror child: nothing is written
    // yet, and nothing is lost
    for (const id of ids) {
      await eventually(
        async () => (await scheduler.client.workflow.getHandle(id).describe()).status.name,
        (status) => status === 'COMPLETED',
      );
      const mirror = await scheduler.client.workflow.getHandle(`${id}-mirror`).describe();
      expect(mirror.status.name).toBe('RUNNING');
      expect(mirror.raw.pendingActivities?.map((a) => a.activityType?.name)).toContain(ActivityType.recordExecution);
    }
    await sleep(3000); // an outage longer than the first mirror retries
    expect((await rowsOf(name)).runs).toHaveLength(0);

    gateway = await startGateway(process.env.SUPABASE_TEST_POSTGREST_URL!, gateway.port);
    const settled = await eventually(
      () => rowsOf(name),
      (r) => r.runs.length === 2 && r.runs.every((run) => run.status === 'succeeded'),
      90_000,
    );
    expect(settled.runs.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(settled.job).toEqual({ total_runs: 2, successful_runs: 2, failed_runs: 0 });
    for (const id of ids) expect((await api.finished(id)).status).toBe('succeeded');
  });
});
