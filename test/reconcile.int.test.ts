import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import Database from 'better-sqlite3';
import { scheduleIdOf } from '../jobs/ids';
import { DISABLED_NOTE } from '../temporal/schedule-options';
import type { ReconcileReport } from '../jobs/reconcile';
import type { JobView } from '../api/schemas/jobs';
import { RECONCILE_SCHEDULE_ID } from '../temporal/reconcile';
import { apiClient, uniqueName } from './support/api';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { eventually, startTarget, type Target } from './support/target';
import { WatchSignal, WorkflowType } from '../jobs/workflow-types';
import { watchWorkflowIdOf } from '../jobs/ids';
import { WATCH_RULES_MEMO, type WatchRules } from '../jobs/alert-watch';

/** The reconciler on real parts: after it runs, the mirror's rows and counters equal what Temporal knows. */
describe('the reconciler', () => {
  let target: Target;
  let scheduler: TestScheduler;
  let api: ReturnType<typeof apiClient>;
  const created: string[] = [];

  const db = () => new Database(path.join(scheduler.dataDir, 'scheduler.db'));
  const sql = (query: string, ...params: unknown[]) => {
    const conn = db();
    try {
      return conn.prepare(query).all(...params) as Record<string, unknown>[];
    } finally {
      conn.close();
    }
  };
  const reconcile = async () => {
    const res = await api.call<{ report: ReconcileReport }>('POST', '/api/reconcile');
    expect(res.status).toBe(200);
    return res.body.report;
  };
  async function register(overrides: Record<string, unknown> = {}) {
    const name = uniqueName('rec');
    created.push(name);
    const res = await api.register({
      name,
      service: 'rec-service',
      endpoint: `/rec/${name}`,
      cron: '0 0 1 1 *',
      enabled: false,
      ...overrides,
    });
    expect(res.status).toBe(201);
    return { name, endpoint: `/rec/${name}` };
  }

  beforeAll(async () => {
    target = await startTarget();
    scheduler = await startTestScheduler({ REC_SERVICE_URL: target.url, SCHEDULER_RECONCILE_MINUTES: '7' });
    api = apiClient(scheduler.url);
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, created);
    await scheduler.client.schedule.getHandle(RECONCILE_SCHEDULE_ID).delete();
    await scheduler.stop();
    await target.close();
  });

  test('it runs on a schedule of its own', async () => {
    const schedule = await scheduler.client.schedule.getHandle(RECONCILE_SCHEDULE_ID).describe();
    expect(schedule.spec.intervals).toMatchObject([{ every: 7 * 60_000 }]);
    expect(schedule.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: WorkflowType.reconcile,
      taskQueue: scheduler.taskQueue,
    });
  });

  test('a run terminated from Temporal Web ends terminated in the mirror, and the counters match', async () => {
    const { name, endpoint } = await register();
    target.answer(endpoint, [{ status: 200, delayMs: 30_000 }]);
    const id = (await api.trigger(name)).body.execution.id;
    await target.waitForCalls(endpoint, 1);
    await eventually(
      () => api.execution(id),
      (r) => r.status === 200,
    );
    await scheduler.client.workflow.getHandle(id).terminate('operator pressed terminate');
    expect(sql('SELECT status FROM scheduled_jobs WHERE id = ?', id)).toEqual([{ status: 'running' }]);

    const report = await reconcile();
    expect(report.executionsRepaired).toContain(id);
    expect(await api.finished(id)).toMatchObject({ status: 'terminated', trigger: 'manual', triggeredBy: 'anonymous' });
    expect(sql('SELECT total_runs, successful_runs, failed_runs FROM job_schedules WHERE job_name = ?', name)).toEqual([
      { total_runs: 1, successful_runs: 0, failed_runs: 0 },
    ]);
    expect((await reconcile()).executionsRepaired).not.toContain(id); // nothing left to mend
  });

  test('a run whose row was lost is restored from its history, attempts and status code included', async () => {
    const { name, endpoint } = await register();
    target.answer(endpoint, [{ status: 503 }, { status: 201, body: 'made' }]);
    await api.register({
      name,
      service: 'rec-service',
      endpoint,
      cron: '0 0 1 1 *',
      enabled: false,
      retry: { initialIntervalSeconds: 1 },
    });
    const id = (await api.trigger(name)).body.execution.id;
    const finished = await api.finished(id);
    expect(finished).toMatchObject({ status: 'succeeded', attempts: 2, httpStatus: 201 });
    const conn = db();
    conn.prepare('DELETE FROM scheduled_jobs WHERE id = ?').run(id);
    conn.close();

    const report = await reconcile();
    expect(report.executionsRepaired).toContain(id);
    const restored = sql(
      'SELECT status, attempts, http_status, response, trigger FROM scheduled_jobs WHERE id = ?',
      id,
    );
    expect(restored).toEqual([
      { status: 'succeeded', attempts: 2, http_status: 201, response: 'made', trigger: 'manual' },
    ]);
    expect(sql('SELECT total_runs, successful_runs FROM job_schedules WHERE job_name = ?', name)).toEqual([
      { total_runs: 1, successful_runs: 1 },
    ]);
  });

  test('jobs paused or deleted directly in Temporal are mirrored as such', async () => {
    const paused = await register({ enabled: true });
    const deleted = await register({ enabled: true });
    await scheduler.client.schedule.getHandle(scheduleIdOf(paused.name)).pause('from Temporal Web');
    await scheduler.client.schedule.getHandle(scheduleIdOf(deleted.name)).delete();

    const report = await reconcile();
    expect(report.jobsMirrored).toContain(paused.name);
    expect(report.jobsRemoved).toContain(deleted.name);
    expect(sql('SELECT enabled, paused FROM job_schedules WHERE job_name = ?', paused.name)).toEqual([
      { enabled: 1, paused: 1 },
    ]);
    expect(sql('SELECT job_name FROM job_schedules WHERE job_name = ?', deleted.name)).toEqual([]);
    const job = (await api.call<{ job: JobView }>('GET', `/api/jobs/${paused.name}`)).body.job;
    expect(job).toMatchObject({ paused: true, pauseNote: 'from Temporal Web' });
  });

  test('a pass as the schedule runs it (incremental) mends a pause and a spec made in Temporal itself', async () => {
    const paused = await register({ enabled: true });
    const respecced = await register({ enabled: true });
    await reconcile(); // rows as Temporal has the schedules, next run times included
    await scheduler.client.schedule.getHandle(scheduleIdOf(paused.name)).pause('from Temporal Web');
    await scheduler.client.schedule
      .getHandle(scheduleIdOf(respecced.name))
      .update((prev) => ({ ...prev, spec: { cronExpressions: ['0 12 * * *'] } }));

    // the listing is eventually consistent: a change shows in the pass after it reaches visibility
    const mirrored = new Set<string>();
    const replanned = new Set<string>();
    let passes = 0;
    await eventually(
      async () => {
        const report = (await scheduler.client.workflow.execute(WorkflowType.reconcile, {
          taskQueue: scheduler.taskQueue,
          workflowId: uniqueName('incremental-pass'),
          args: [{ lookbackHours: 24, everyMinutes: 7 }],
        })) as ReconcileReport;
        passes++;
        report.jobsMirrored.forEach((name) => mirrored.add(name));
        report.jobsReplanned.forEach((name) => replanned.add(name));
        expect(report.failures).toEqual([]);
        expect(report.schedulesDescribed).toBeLessThanOrEqual(report.schedulesListed! + created.length);
      },
      () => mirrored.has(paused.name) && replanned.has(respecced.name),
      20_000,
    );
    expect(passes).toBeLessThanOrEqual(5);
    const job = (await api.call<{ job: JobView }>('GET', `/api/jobs/${paused.name}`)).body.job;
    expect(job).toMatchObject({ paused: true, pauseNote: 'from Temporal Web' });
    // back on the job's own cron (0 0 1 1 *), not the noon one set behind the scheduler's back
    const schedule = await scheduler.client.schedule.getHandle(scheduleIdOf(respecced.name)).describe();
    expect(schedule.info.nextActionTimes[0]?.toISOString()).toMatch(/-01-01T00:00:00\.000Z$/);
  });

  test('a job its service disabled but unpaused in Temporal (as an admin resume before 0.2.0 did) is paused again', async () => {
    const disabled = await register(); // enabled: false
    const adminPaused = await register({ enabled: true });
    await scheduler.client.schedule.getHandle(scheduleIdOf(disabled.name)).unpause('resumed from Temporal Web');
    await scheduler.client.schedule.getHandle(scheduleIdOf(adminPaused.name)).pause('from Temporal Web');

    const report = await reconcile();
    expect(report.jobsStateFixed).toContain(disabled.name);
    expect(report.jobsStateFixed).not.toContain(adminPaused.name); // an admin's pause is the admin's
    const state = async (name: string) =>
      (await scheduler.client.schedule.getHandle(scheduleIdOf(name)).describe()).state;
    expect(await state(disabled.name)).toMatchObject({ paused: true, note: DISABLED_NOTE });
    expect(await state(adminPaused.name)).toMatchObject({ paused: true, note: 'from Temporal Web' });
    const job = (await api.call<{ job: JobView }>('GET', `/api/jobs/${disabled.name}`)).body.job;
    expect(job).toMatchObject({ enabled: false, paused: false, pauseNote: null, nextRunTimes: [] });
    expect((await reconcile()).jobsStateFixed).not.toContain(disabled.name);
  });

  test('a row left running for a run Temporal no longer knows ends terminated, with the reason', async () => {
    const { name } = await register();
    const ghost = `job-run-${name}-manual-ghost`;
    const conn = db();
    conn
      .prepare(
        `INSERT INTO scheduled_jobs (id, job_name, service, status, trigger, started_at, attempts, workflow_id)
         VALUES (?, ?, 'rec-service', 'running', 'manual', ?, 0, ?)`,
      )
      .run(ghost, name, new Date(Date.now() - 3 * 86_400_000).toISOString(), ghost);
    conn.close();
    const report = await reconcile();
    expect(report.executionsRepaired).toContain(ghost);
    expect(report.failures).toEqual([]);
    expect(sql('SELECT status, error FROM scheduled_jobs WHERE id = ?', ghost)).toEqual([
      { status: 'terminated', error: 'no longer known to Temporal' },
    ]);
  });

  test("a job's alert watch that was lost, or holds other rules, is given its job's rules by the next pass", async () => {
    const [lost, behind] = [await register(), await register()];
    const watchOf = (name: string) => scheduler.client.workflow.getHandle(watchWorkflowIdOf(name));
    const running = (name: string) =>
      eventually(
        () => watchOf(name).describe(),
        (d) => d.status.name === 'RUNNING' && d.memo?.[WATCH_RULES_MEMO] !== undefined,
      );
    // the registrations hand each watch its rules just after answering
    const rules = (await running(lost.name)).memo![WATCH_RULES_MEMO] as WatchRules;
    expect(rules.rules).toMatchObject({ onFailure: expect.any(Boolean), dampingSeconds: expect.any(Number) });
    expect((await running(behind.name)).memo![WATCH_RULES_MEMO]).toEqual(rules);

    // a hand-over lost with its process, and one that never came after a change
    await watchOf(lost.name).terminate('lost with its process');
    const other: WatchRules = { ...rules, rules: { ...rules.rules, dampingSeconds: rules.rules.dampingSeconds + 1 } };
    await watchOf(behind.name).signal(WatchSignal.rules, other);
    await eventually(
      () => watchOf(behind.name).describe(),
      (d) => (d.memo?.[WATCH_RULES_MEMO] as WatchRules).rules.dampingSeconds === other.rules.dampingSeconds,
    );

    // the listing of watches is eventually consistent: passes until both are seen and mended
    const mended = new Set<string>();
    await eventually(
      async () => ((await reconcile()).watchesMended ?? []).forEach((name) => mended.add(name)),
      () => mended.has(lost.name) && mended.has(behind.name),
    );
    expect((await running(lost.name)).memo![WATCH_RULES_MEMO]).toEqual(rules);
    await eventually(
      () => watchOf(behind.name).describe(),
      (d) => isDeepStrictEqual(d.memo?.[WATCH_RULES_MEMO], rules),
    );
    // then a pass has nothing left to mend for them
    await eventually(
      reconcile,
      (r) => !r.watchesMended!.includes(lost.name) && !r.watchesMended!.includes(behind.name),
    );
  });

  test('after a reconcile every counter equals its row counts', async () => {
    await reconcile();
    const mismatched = sql(`
      SELECT j.job_name FROM job_schedules j
      WHERE j.total_runs <> (SELECT count(*) FROM scheduled_jobs s WHERE s.job_name = j.job_name)
         OR j.successful_runs <> (SELECT count(*) FROM scheduled_jobs s WHERE s.job_name = j.job_name AND s.status = 'succeeded')
         OR j.failed_runs <> (SELECT count(*) FROM scheduled_jobs s WHERE s.job_name = j.job_name AND s.status IN ('failed', 'timed_out'))`);
    expect(mismatched).toEqual([]);
    expect(sql("SELECT count(*) AS n FROM scheduled_jobs WHERE job_name LIKE 'rec-%'")[0]!.n).toBeGreaterThanOrEqual(2);
  });
});
