import path from 'node:path';
import Database from 'better-sqlite3';
import { Client as PgClient } from 'pg';
import { scheduleIdOf } from '../jobs/ids';
import type { ExecutionView } from '../api/schemas/executions';
import type { JobView } from '../api/schemas/jobs';
import { apiClient } from './support/api';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { sharedMirrorEnv } from './support/stack';
import { eventually, startTarget, type Target } from './support/target';

/** The seed's integration checklist, on each store. */
const SEED_QUERIES = [
  'SELECT * FROM job_schedules;',
  'SELECT * FROM scheduled_jobs ORDER BY started_at DESC LIMIT 10;',
  'SELECT job_name, total_runs, successful_runs, failed_runs FROM job_schedules WHERE enabled = true;',
];
const EMAIL_JOBS = [
  { name: 'weekly-digest', endpoint: '/api/jobs/weekly-digest', cron: '0 9 * * MON', description: 'Weekly digest' },
  { name: 're-engagement', endpoint: '/api/jobs/re-engagement', cron: '0 10 * * *', payload: { inactiveDays: 7 } },
  { name: 'queue-cleanup', endpoint: '/api/jobs/queue-cleanup', cron: '@every 15m' },
];

type Sql = (sql: string) => Promise<Record<string, unknown>[]>;

const stores: [string, () => Record<string, string>, (s: TestScheduler) => Sql][] = [
  [
    'embedded SQLite',
    () => ({}),
    (s) => async (sql) => {
      const db = new Database(path.join(s.dataDir, 'scheduler.db'), { readonly: true });
      try {
        return db.prepare(sql).all() as Record<string, unknown>[];
      } finally {
        db.close();
      }
    },
  ],
  [
    'Supabase (supabase-js → PostgREST → PostgreSQL)',
    sharedMirrorEnv,
    () => async (sql) => {
      const pg = new PgClient({ connectionString: process.env.SUPABASE_TEST_DB_URL });
      await pg.connect();
      try {
        return (await pg.query(sql)).rows as Record<string, unknown>[];
      } finally {
        await pg.end();
      }
    },
  ],
];

describe.each(stores)('seed checklist on %s', (_label, storeEnv, sqlOf) => {
  let target: Target;
  let scheduler: TestScheduler;
  let sql: Sql;
  const api = <T>(method: string, url: string, body?: unknown) => apiClient(scheduler.url).call<T>(method, url, body);
  const execution = (id: string) => apiClient(scheduler.url).execution(id);

  beforeAll(async () => {
    target = await startTarget();
    scheduler = await startTestScheduler({ EMAIL_SERVICE_URL: target.url, ...storeEnv() });
    sql = sqlOf(scheduler);
  });

  afterAll(async () => {
    await deleteSchedules(scheduler.client, [...EMAIL_JOBS.map((j) => j.name), 'heartbeat-ping']);
    await scheduler.stop();
    await target.close();
  });

  test('1. the health endpoint responds, with Temporal and the store up', async () => {
    const health = await api<{ status: string; temporal: string; store: string }>('GET', '/health');
    expect(health).toEqual({ status: 200, body: { status: 'ok', temporal: 'up', store: 'up' } });
    expect((await api('GET', '/ready')).status).toBe(200);
  });

  test('2. the email service registers its 3 jobs, and registering again changes nothing', async () => {
    for (const job of EMAIL_JOBS) {
      const res = await api<{ status: string; job: JobView }>('POST', '/api/jobs/register', {
        service: 'email-service',
        ...job,
      });
      expect(res.status).toBe(201);
      expect(res.body.status).toBe('created');
      expect(res.body.job).toMatchObject({ name: job.name, service: 'email-service', paused: false });
    }
    for (const job of EMAIL_JOBS) {
      const before = await scheduler.client.schedule.getHandle(scheduleIdOf(job.name)).describe();
      const res = await api<{ status: string }>('POST', '/api/jobs/register', { service: 'email-service', ...job });
      expect(res).toMatchObject({ status: 200, body: { status: 'unchanged' } });
      const after = await scheduler.client.schedule.getHandle(scheduleIdOf(job.name)).describe();
      expect(after.info.lastUpdatedAt).toEqual(before.info.lastUpdatedAt);
    }
  });

  test('3. the jobs are listed with their next run times', async () => {
    const res = await api<{ jobs: JobView[] }>('GET', '/api/jobs?service=email-service');
    expect(res.status).toBe(200);
    const jobs = res.body.jobs.filter((j) => EMAIL_JOBS.some((e) => e.name === j.name));
    expect(jobs.map((j) => j.name).sort()).toEqual(EMAIL_JOBS.map((j) => j.name).sort());
    const digest = jobs.find((j) => j.name === 'weekly-digest')!;
    expect(digest.nextRunTimes).toHaveLength(5);
    for (const t of digest.nextRunTimes) {
      const d = new Date(t);
      expect([d.getUTCDay(), d.getUTCHours(), d.getUTCMinutes()]).toEqual([1, 9, 0]); // Mondays 09:00 UTC
      expect(d.getTime()).toBeGreaterThan(Date.now());
    }
    expect(digest.temporal.url).toContain('/schedules/job-weekly-digest');
  });

  test('4. a manual trigger calls the service and is recorded', async () => {
    const res = await api<{ execution: ExecutionView }>('POST', '/api/jobs/re-engagement/trigger', {});
    expect(res.status).toBe(202);
    expect(res.body.execution).toMatchObject({ jobName: 're-engagement', trigger: 'manual', triggeredBy: 'anonymous' });
    const id = res.body.execution.id;
    const [call] = await target.waitForCalls('/api/jobs/re-engagement', 1);
    expect(call!.method).toBe('POST');
    expect(call!.headers['idempotency-key']).toBe(id);
    expect(call!.headers['x-scheduler-job']).toBe('re-engagement');
    expect(call!.json).toMatchObject({
      job: 're-engagement',
      executionId: id,
      trigger: 'manual',
      attempt: 1,
      payload: { inactiveDays: 7 },
    });
    const done = await eventually(
      () => execution(id),
      (r) => r.body.execution?.status === 'succeeded',
    );
    expect(done.body.execution).toMatchObject({
      attempts: 1,
      httpStatus: 200,
      response: '{"ok":true}',
      triggeredBy: 'anonymous',
    });
    expect(done.body.execution.durationMs).toBeGreaterThanOrEqual(0);
  });

  test('5. a job on a seconds-level schedule fires by itself, on time', async () => {
    const reg = await api('POST', '/api/jobs/register', {
      name: 'heartbeat-ping',
      service: 'email-service',
      endpoint: '/api/jobs/heartbeat',
      cron: '@every 2s',
    });
    expect(reg.status).toBe(201);
    const [call] = await target.waitForCalls('/api/jobs/heartbeat', 1, 30_000);
    const scheduledAt = Date.parse(String(call!.json!.scheduledAt));
    expect(call!.json!.trigger).toBe('schedule');
    expect(call!.at - scheduledAt).toBeLessThan(3000); // called within 3 s of its nominal time (2 s period)
    expect(call!.at - scheduledAt).toBeGreaterThanOrEqual(0);
    const id = String(call!.json!.executionId);
    expect(id).toMatch(/^job-run-heartbeat-ping-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await scheduler.client.schedule.getHandle(scheduleIdOf('heartbeat-ping')).pause('test done');
    const done = await eventually(
      () => execution(id),
      (r) => r.body.execution?.status === 'succeeded',
    );
    expect(done.body.execution).toMatchObject({ trigger: 'schedule', triggeredBy: null });
    expect(done.body.execution.scheduledAt).toBe(new Date(scheduledAt).toISOString());
  });

  test('6. history and stats land in the store, and the seed SQL returns what the API says', async () => {
    const jobs = await eventually(
      async () => (await api<{ jobs: JobView[] }>('GET', '/api/jobs?service=email-service')).body.jobs,
      (js) => js.length > 0 && js.every((j) => j.stats.totalRuns === j.stats.successfulRuns + j.stats.failedRuns),
    );
    const [all, recent, stats] = await Promise.all(SEED_QUERIES.map((q) => sql(q)));
    const names = (rows: Record<string, unknown>[]) => rows.map((r) => r.job_name).sort();
    expect(names(all!).filter((n) => jobs.some((j) => j.name === n))).toEqual(jobs.map((j) => j.name).sort());
    expect(recent!.length).toBeGreaterThanOrEqual(2);
    const latest = await api<{ executions: ExecutionView[] }>('GET', '/api/executions?service=email-service&limit=200');
    for (const row of recent!.filter((r) => latest.body.executions.some((e) => e.id === r.id))) {
      const view = latest.body.executions.find((e) => e.id === row.id)!;
      expect(row).toMatchObject({ job_name: view.jobName, status: view.status, attempts: view.attempts });
    }
    const reEngagement = jobs.find((j) => j.name === 're-engagement')!;
    expect(reEngagement.stats).toEqual({
      totalRuns: 1,
      successfulRuns: 1,
      failedRuns: 0,
      pruned: { totalRuns: 0, successfulRuns: 0, failedRuns: 0 },
      skipped: 0,
      missed: 0,
      dstSkipped: 0,
    });
    expect(reEngagement.lastExecution?.status).toBe('succeeded');
    const statRow = stats!.find((r) => r.job_name === 're-engagement');
    expect(statRow).toEqual({ job_name: 're-engagement', total_runs: 1, successful_runs: 1, failed_runs: 0 });
    const heartbeat = jobs.find((j) => j.name === 'heartbeat-ping')!;
    const heartbeatRow = all!.find((r) => r.job_name === 'heartbeat-ping')!;
    expect(Number(heartbeatRow.total_runs)).toBe(heartbeat.stats.totalRuns);
  });
});
