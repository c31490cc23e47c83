import path from 'node:path';
import Database from 'better-sqlite3';
import { ScheduleNotFoundError } from '@temporalio/client';
import { scheduleIdOf } from '../jobs/ids';
import type { ExecutionView, JobView } from '../jobs/schema';
import { apiClient, uniqueName } from './support/api';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { eventually, startTarget, type Target } from './support/target';

/** Issue 3 on real parts: every admin action, recorded with who did it, and nothing silently skipped. */
describe('operations', () => {
  let target: Target;
  let scheduler: TestScheduler;
  let api: ReturnType<typeof apiClient>;
  const created: string[] = [];
  const fastRetry = { maxAttempts: 2, initialIntervalSeconds: 1, maxIntervalSeconds: 1 };

  async function register(overrides: Record<string, unknown> = {}) {
    const name = uniqueName('ops');
    created.push(name);
    const endpoint = `/ops/${name}`;
    const res = await api.register({
      name,
      service: 'ops-service',
      endpoint,
      cron: '0 0 1 1 *',
      enabled: false,
      retry: fastRetry,
      ...overrides,
    });
    expect(res.status).toBe(201);
    return { name, endpoint };
  }
  const jobOf = async (name: string) => (await api.call<{ job: JobView }>('GET', `/api/jobs/${name}`)).body.job;
  const sql = (query: string, ...params: unknown[]) => {
    const db = new Database(path.join(scheduler.dataDir, 'scheduler.db'), { readonly: true });
    try {
      return db.prepare(query).all(...params) as Record<string, unknown>[];
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    target = await startTarget();
    scheduler = await startTestScheduler({ OPS_SERVICE_URL: target.url, OTHER_SERVICE_URL: target.url });
    api = apiClient(scheduler.url);
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, created);
    await scheduler.stop();
    await target.close();
  });

  test('two manual triggers in the same second both run, each with its own id', async () => {
    const { name, endpoint } = await register();
    const [a, b] = await Promise.all([api.trigger(name), api.trigger(name)]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body.execution.id).not.toBe(b.body.execution.id);
    await target.waitForCalls(endpoint, 2);
    for (const run of [a, b]) expect((await api.finished(run.body.execution.id)).status).toBe('succeeded');
    // as the README's curl does it: no body, no content type
    const bare = await api.call<{ execution: ExecutionView }>('POST', `/api/jobs/${name}/trigger`);
    expect(bare.status).toBe(202);
    expect((await api.finished(bare.body.execution.id)).status).toBe('succeeded');
    expect((await api.call('POST', `/api/jobs/${name}/pause`)).status).toBe(200);
  });

  test('pause and resume keep the note, show it in the job view, and mirror enabled', async () => {
    const { name } = await register({ enabled: true });
    const paused = await api.call<{ job: JobView }>('POST', `/api/jobs/${name}/pause`, { note: 'crawler maintenance' });
    expect(paused.status).toBe(200);
    expect(paused.body.job).toMatchObject({ paused: true, pauseNote: 'paused by anonymous: crawler maintenance' });
    expect(await jobOf(name)).toMatchObject({ paused: true, pauseNote: 'paused by anonymous: crawler maintenance' });
    expect(sql('SELECT enabled FROM job_schedules WHERE job_name = ?', name)).toEqual([{ enabled: 0 }]);
    const listed = await api.call<{ jobs: JobView[] }>('GET', '/api/jobs?paused=true');
    expect(listed.body.jobs.map((j) => j.name)).toContain(name);

    const resumed = await api.call<{ job: JobView }>('POST', `/api/jobs/${name}/resume`, { note: 'done' });
    expect(resumed.body.job).toMatchObject({ paused: false, pauseNote: 'resumed by anonymous: done' });
    expect(sql('SELECT enabled FROM job_schedules WHERE job_name = ?', name)).toEqual([{ enabled: 1 }]);
  });

  test('the job list comes in pages: following nextCursor yields every job once, in name order', async () => {
    for (let i = 0; i < 3; i++) await register();
    const all = await api.call<{ jobs: JobView[]; nextCursor: string | null }>(
      'GET',
      '/api/jobs?service=ops-service&limit=200',
    );
    expect(all.body.nextCursor).toBeNull();
    const names = all.body.jobs.map((j) => j.name);
    expect(names.length).toBeGreaterThanOrEqual(3);
    expect(names).toEqual([...names].sort());
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { jobs: JobView[]; nextCursor: string | null } } = await api.call(
        'GET',
        `/api/jobs?service=ops-service&limit=2${cursor ? `&after=${cursor}` : ''}`,
      );
      expect(page.body.jobs.length).toBeLessThanOrEqual(2);
      paged.push(...page.body.jobs.map((j) => j.name));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(names);
    expect((await api.call('GET', '/api/jobs?limit=201')).status).toBe(400);
  });

  test('backfill runs each occurrence in the range once, and a second backfill runs none again', async () => {
    const { name, endpoint } = await register({ cron: '*/1 * * * *' });
    const minute = 60_000;
    const from = new Date(Math.floor(Date.now() / minute) * minute - 5 * minute);
    const to = new Date(from.getTime() + 3 * minute);
    const res = await api.call<{ executions: ExecutionView[]; skipped: unknown[] }>(
      'POST',
      `/api/jobs/${name}/backfill`,
      {
        from: from.toISOString(),
        to: to.toISOString(),
      },
    );
    expect(res.status).toBe(202);
    const expected = [0, 1, 2, 3].map((i) => new Date(from.getTime() + i * minute).toISOString());
    expect(res.body.executions.map((e) => e.scheduledAt)).toEqual(expected);
    expect(res.body.skipped).toEqual([]);
    const runs = await Promise.all(res.body.executions.map((e) => api.finished(e.id)));
    for (const run of runs)
      expect(run).toMatchObject({ status: 'succeeded', trigger: 'backfill', triggeredBy: 'anonymous' });
    expect(runs.map((r) => r.scheduledAt)).toEqual(expected);
    const calls = target.calls(endpoint);
    expect(calls.map((c) => c.json?.scheduledAt).sort()).toEqual(expected);

    const again = await api.call<{ executions: ExecutionView[]; skipped: { scheduledAt: string }[] }>(
      'POST',
      `/api/jobs/${name}/backfill`,
      { from: from.toISOString(), to: to.toISOString() },
    );
    expect(again.body.executions).toEqual([]);
    expect(again.body.skipped.map((s) => s.scheduledAt)).toEqual(expected);
    expect(target.calls(endpoint)).toHaveLength(4);
    expect(
      (await api.call('POST', `/api/jobs/${name}/backfill`, { from: to.toISOString(), to: from.toISOString() })).status,
    ).toBe(400);
  });

  test('retry: a failed run is run again as a new execution; running or succeeded runs are a 409', async () => {
    const { name, endpoint } = await register({ payload: { n: 1 } });
    target.answer(endpoint, [
      { status: 400, body: 'not yet' },
      { status: 200, body: 'fixed' },
    ]);
    const failed = await api.finished((await api.trigger(name, { payload: { n: 2 } })).body.execution.id);
    expect(failed).toMatchObject({ status: 'failed', httpStatus: 400 });

    const retry = await api.call<{ execution: ExecutionView }>('POST', `/api/executions/${failed.id}/retry`);
    expect(retry.status).toBe(202);
    expect(retry.body.execution).toMatchObject({ trigger: 'retry', retryOf: failed.id, triggeredBy: 'anonymous' });
    const done = await api.finished(retry.body.execution.id);
    expect(done).toMatchObject({ status: 'succeeded', trigger: 'retry', retryOf: failed.id, response: 'fixed' });
    expect(target.calls(endpoint).at(-1)!.json?.payload).toEqual({ n: 2 }); // the failed run's own payload
    const huge = await api.trigger(name, { payload: { blob: 'x'.repeat(70 * 1024) } });
    expect(huge.status).toBe(400);

    const again = await api.call<{ error: { code: string } }>('POST', `/api/executions/${done.id}/retry`);
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'execution_conflict' } } });

    target.answer(endpoint, [{ status: 200, delayMs: 3000 }]);
    const running = await api.trigger(name);
    await target.waitForCalls(endpoint, 3);
    expect((await api.call('POST', `/api/executions/${running.body.execution.id}/retry`)).status).toBe(409);
    expect((await api.call('POST', '/api/executions/no-such-run/retry')).status).toBe(404);
  });

  test('delete removes the schedule and keeps the history', async () => {
    const { name } = await register();
    const run = await api.finished((await api.trigger(name)).body.execution.id);
    expect((await api.call('DELETE', `/api/jobs/${name}`)).status).toBe(204);
    expect((await api.call('GET', `/api/jobs/${name}`)).status).toBe(404);
    await expect(scheduler.client.schedule.getHandle(scheduleIdOf(name)).describe()).rejects.toBeInstanceOf(
      ScheduleNotFoundError,
    );
    expect((await api.execution(run.id)).body.execution.status).toBe('succeeded');
    const page = await api.call<{ executions: ExecutionView[] }>('GET', `/api/executions?job=${name}`);
    expect(page.body.executions.map((e) => e.id)).toEqual([run.id]);
    expect((await api.call('DELETE', `/api/jobs/${name}`)).status).toBe(404);
  });

  test('PUT /api/services/:service/jobs creates, updates and removes that service’s jobs only', async () => {
    const [a, b, c] = [uniqueName('decl'), uniqueName('decl'), uniqueName('decl')];
    const other = uniqueName('decl');
    created.push(a, b, c, other);
    const job = (name: string, extra: Record<string, unknown> = {}) => ({
      name,
      service: 'ops-service',
      endpoint: '/decl',
      cron: '0 4 * * *',
      ...extra,
    });
    await api.register({ ...job(other), service: 'other-service' });
    const before = await api.call<{ jobs: JobView[] }>('GET', '/api/jobs?service=ops-service');
    const existing = before.body.jobs.map((j) => j.name);

    const first = await api.call('PUT', '/api/services/ops-service/jobs', { jobs: [job(a), job(b)] });
    expect(first).toEqual({
      status: 200,
      body: { created: [a, b].sort(), updated: [], unchanged: [], removed: existing.sort() },
    });
    const second = await api.call('PUT', '/api/services/ops-service/jobs', {
      jobs: [job(a, { cron: '0 5 * * *' }), job(c)],
    });
    expect(second.body).toEqual({ created: [c], updated: [a], unchanged: [], removed: [b] });
    const third = await api.call('PUT', '/api/services/ops-service/jobs', {
      jobs: [job(a, { cron: '0 5 * * *' }), job(c)],
    });
    expect(third.body).toEqual({ created: [], updated: [], unchanged: [a, c].sort(), removed: [] });
    expect((await api.call('GET', `/api/jobs/${b}`)).status).toBe(404);
    expect((await api.call('GET', `/api/jobs/${other}`)).status).toBe(200);

    const wrong = await api.call<{ error: { message: string } }>('PUT', '/api/services/ops-service/jobs', {
      jobs: [job(a), { ...job(b), service: 'other-service' }],
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toMatch(/^jobs\.1\.service: /);
    const bad = await api.call<{ error: { message: string } }>('PUT', '/api/services/ops-service/jobs', {
      jobs: [job(a), job(b, { endpoint: '/../x' })],
    });
    expect(bad.body.error.message).toMatch(/^jobs\.1\.endpoint: /);
    expect((await api.call('GET', `/api/jobs/${b}`)).status).toBe(404); // nothing applied

    const taken = await api.call('PUT', '/api/services/ops-service/jobs', {
      jobs: [job(b), job(other, { endpoint: '/steal' })],
    });
    expect(taken.status).toBe(409); // the other service's name: refused before anything changes
    expect((await api.call('GET', `/api/jobs/${b}`)).status).toBe(404);
    expect((await api.call('PUT', '/api/services/billing-service/jobs', { jobs: [] })).status).toBe(404);
  });

  test('occurrences skipped by the overlap policy are counted in the job view', async () => {
    const { name, endpoint } = await register({ cron: '@every 1s', enabled: true, overlap: 'skip' });
    target.answer(endpoint, [{ status: 200, delayMs: 3500 }]);
    const job = await eventually(
      () => jobOf(name),
      (j) => j.stats.skipped >= 2,
      20_000,
    );
    await api.call('POST', `/api/jobs/${name}/pause`, { note: 'test done' });
    expect(job.stats.missed).toBe(0);
    expect(job.stats.skipped).toBeGreaterThanOrEqual(2);
  });

  test('the execution queries filter, page with a stable cursor, and link to Temporal Web', async () => {
    const { name } = await register();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api.trigger(name)).body.execution.id);
    await Promise.all(ids.map((id) => api.finished(id)));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { executions: ExecutionView[]; nextCursor: string | null } = (
        await api.call<{ executions: ExecutionView[]; nextCursor: string | null }>(
          'GET',
          `/api/jobs/${name}/executions?limit=2${cursor ? `&before=${cursor}` : ''}`,
        )
      ).body;
      seen.push(...page.executions.map((e) => e.id));
      for (const e of page.executions) expect(e.temporal.url).toContain(`/workflows/${encodeURIComponent(e.id)}/`);
      cursor = page.nextCursor;
    } while (cursor);
    expect([...seen].sort()).toEqual([...ids].sort());
    expect(new Set(seen).size).toBe(5);
    const failedOnly = await api.call<{ executions: ExecutionView[] }>(
      'GET',
      `/api/executions?job=${name}&status=failed`,
    );
    expect(failedOnly.body.executions).toEqual([]);
    expect((await api.call('GET', '/api/executions?before=not-a-cursor')).status).toBe(400);
  });
});
