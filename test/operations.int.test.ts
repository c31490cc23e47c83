import path from 'node:path';
import Database from 'better-sqlite3';
import { ScheduleNotFoundError } from '@temporalio/client';
import { scheduleIdOf } from '../jobs/ids';
import { scheduleMatchingTimes } from '../temporal/schedules';
import type { ExecutionView } from '../api/schemas/executions';
import type { JobDetailView, JobView } from '../api/schemas/jobs';
import { DISABLED_NOTE } from '../temporal/schedule-options';
import { apiClient, uniqueName } from './support/api';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { eventually, startTarget, type Target } from './support/target';
import { setTimeout as sleep } from 'node:timers/promises';

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
    const body = {
      name,
      service: 'ops-service',
      endpoint,
      cron: '0 0 1 1 *',
      enabled: false,
      retry: fastRetry,
      ...overrides,
    };
    const res = await api.register(body);
    expect(res.status).toBe(201);
    return { name, endpoint, body };
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

  test('pause and resume keep the note, show it in the job view, and mirror paused', async () => {
    const { name } = await register({ enabled: true });
    expect(await jobOf(name)).toMatchObject({ enabled: true, paused: false, pauseNote: null });
    const paused = await api.call<{ job: JobView }>('POST', `/api/jobs/${name}/pause`, { note: 'crawler maintenance' });
    expect(paused.status).toBe(200);
    expect(paused.body.job).toMatchObject({ paused: true, pauseNote: 'paused by anonymous: crawler maintenance' });
    expect(await jobOf(name)).toMatchObject({ paused: true, pauseNote: 'paused by anonymous: crawler maintenance' });
    expect(sql('SELECT enabled, paused FROM job_schedules WHERE job_name = ?', name)).toEqual([
      { enabled: 1, paused: 1 },
    ]);
    const listed = await api.call<{ jobs: JobView[] }>('GET', '/api/jobs?paused=true');
    expect(listed.body.jobs.map((j) => j.name)).toContain(name);

    const resumed = await api.call<{ job: JobView }>('POST', `/api/jobs/${name}/resume`, { note: 'done' });
    expect(resumed.body.job).toMatchObject({ paused: false, pauseNote: null });
    expect(sql('SELECT enabled, paused, pause_note FROM job_schedules WHERE job_name = ?', name)).toEqual([
      { enabled: 1, paused: 0, pause_note: null },
    ]);
  });

  test('pauses and resumes are kept as history, with who, when and the note, a pause made in Temporal itself too', async () => {
    const { name, body } = await register({ enabled: true });
    const since = Date.now() - 1000;
    expect((await api.call('POST', `/api/jobs/${name}/pause`, { note: 'crawler maintenance' })).status).toBe(200);
    expect((await api.call('POST', `/api/jobs/${name}/resume`, { note: 'done' })).status).toBe(200);
    await scheduler.client.schedule.getHandle(scheduleIdOf(name)).pause('from Temporal Web');
    expect((await api.call('POST', '/api/reconcile')).status).toBe(200); // the reconciler sees it
    expect((await api.call('POST', `/api/jobs/${name}/resume`)).status).toBe(200);
    const disabled = await api.register({ ...body, enabled: false });
    expect(disabled.body).toMatchObject({ status: 'updated' });

    const { pauseHistory } = (await api.call<{ job: JobDetailView }>('GET', `/api/jobs/${name}`)).body.job;
    expect(pauseHistory).toEqual([
      { at: expect.any(String), paused: true, by: 'service', note: DISABLED_NOTE },
      { at: expect.any(String), paused: false, by: 'anonymous', note: 'resumed by anonymous' },
      { at: expect.any(String), paused: true, by: null, note: 'from Temporal Web' },
      { at: expect.any(String), paused: false, by: 'anonymous', note: 'resumed by anonymous: done' },
      { at: expect.any(String), paused: true, by: 'anonymous', note: 'paused by anonymous: crawler maintenance' },
    ]);
    const times = pauseHistory.map((c) => Date.parse(c.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    for (const t of times) expect(t).toBeGreaterThanOrEqual(since);
    expect(times[0]).toBeLessThanOrEqual(Date.now() + 1000);
  });

  test('enabled is the service’s, paused an admin’s: a job runs only while enabled and not paused', async () => {
    const endpoint = '/ops/state';
    const body = { service: 'ops-service', endpoint, cron: '@every 1s', retry: fastRetry };
    const name = uniqueName('state');
    created.push(name);
    const view = async () => {
      const job = await jobOf(name);
      const [row] = sql('SELECT enabled, paused FROM job_schedules WHERE job_name = ?', name);
      const state = (await scheduler.client.schedule.getHandle(scheduleIdOf(name)).describe()).state;
      return {
        enabled: job.enabled,
        paused: job.paused,
        hasNextRuns: job.nextRunTimes.length > 0,
        row,
        temporalPaused: state.paused,
      };
    };
    /** The job view, the mirror row and Temporal agree, and the job runs exactly when enabled and not paused. */
    const expectState = async (enabled: boolean, paused: boolean) => {
      const runs = enabled && !paused;
      expect(await view()).toEqual({
        enabled,
        paused,
        hasNextRuns: runs,
        row: { enabled: Number(enabled), paused: Number(paused) },
        temporalPaused: !runs,
      });
    };
    const registered = async (enabled: boolean, status: string) =>
      expect((await api.register({ name, ...body, enabled })).body).toMatchObject({ status });
    const admin = async (action: 'pause' | 'resume', status = 200) =>
      expect((await api.call('POST', `/api/jobs/${name}/${action}`, { note: action })).status).toBe(status);

    await registered(false, 'created');
    await expectState(false, false);
    // nothing for an admin to resume: only the service runs a job it disabled
    const refused = await api.call<{ error: { code: string; message: string } }>('POST', `/api/jobs/${name}/resume`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'job_disabled', field: 'name' });
    expect(refused.body.error.message).toContain('ops-service registers it with enabled: true');
    await expectState(false, false);
    await registered(false, 'unchanged');
    // running against its definition (unpaused in Temporal itself): registering it again sets it right
    await scheduler.client.schedule.getHandle(scheduleIdOf(name)).unpause('by hand');
    await registered(false, 'updated');
    await expectState(false, false);

    await admin('pause'); // an admin pauses a disabled job: both hold
    await expectState(false, true);
    await registered(true, 'updated'); // the service enables it: the admin's pause stays
    await expectState(true, true);
    expect((await jobOf(name)).pauseNote).toBe('paused by anonymous: pause');
    await registered(true, 'unchanged');
    await registered(false, 'updated'); // the service disables it again: still the admin's pause too
    await expectState(false, true);
    await admin('resume'); // lifts the admin's pause only: still disabled, does not run
    await expectState(false, false);
    const before = target.calls(endpoint).length;
    await registered(true, 'updated');
    await expectState(true, false);
    await target.waitForCalls(endpoint, before + 1);
    await registered(false, 'updated');
    await expectState(false, false);
    const calls = target.calls(endpoint).length;
    await sleep(2500);
    expect(target.calls(endpoint).length).toBeLessThanOrEqual(calls + 1); // a run already started may still land
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

  test('backfill: from == to runs that one occurrence, paused or not; too large a range states its real count', async () => {
    const { name, endpoint } = await register({ cron: '*/1 * * * *' }); // enabled: false, its service's off switch
    expect((await api.call('POST', `/api/jobs/${name}/pause`, { note: 'hold' })).status).toBe(200); // an admin's too
    expect(await jobOf(name)).toMatchObject({ enabled: false, paused: true });
    const minute = 60_000;
    const at = new Date(Math.floor(Date.now() / minute) * minute - 3 * minute).toISOString();
    const one = await api.call<{ executions: ExecutionView[]; skipped: unknown[] }>(
      'POST',
      `/api/jobs/${name}/backfill`,
      { from: at, to: at },
    );
    expect(one.status).toBe(202);
    expect(one.body.executions.map((e) => e.scheduledAt)).toEqual([at]);
    expect(await api.finished(one.body.executions[0]!.id)).toMatchObject({ status: 'succeeded', trigger: 'backfill' });
    expect(target.calls(endpoint).map((c) => c.json?.scheduledAt)).toEqual([at]);
    expect(await jobOf(name)).toMatchObject({ enabled: false, paused: true }); // the backfill left both alone

    // two days of every minute, both ends included: 2881, more than Temporal answers in one call (1000)
    const from = new Date(Date.parse(at) - 2 * 24 * 60 * minute);
    const range = { from: from.toISOString(), to: at };
    const paged = await scheduleMatchingTimes(scheduler.client, scheduleIdOf(name), from, new Date(at));
    expect(paged).toHaveLength(2881);
    const tooMany = await api.call<{ error: { message: string } }>('POST', `/api/jobs/${name}/backfill`, range);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toBe(
      'from: the range holds 2881 occurrences; at most 500 per backfill: split it',
    );
    expect(target.calls(endpoint)).toHaveLength(1);
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

  test('PUT /api/services/:service/jobs: service from the path; removes only jobs it declared; a dry run', async () => {
    const [a, b, c] = [uniqueName('decl'), uniqueName('decl'), uniqueName('decl')];
    const [other, single] = [uniqueName('decl'), uniqueName('decl')];
    created.push(a, b, c, other, single);
    // as a service author writes it: the path names the service, the jobs do not
    const job = (name: string, extra: Record<string, unknown> = {}) => ({
      name,
      endpoint: '/decl',
      cron: '0 4 * * *',
      ...extra,
    });
    const declare = (jobs: unknown[], query = '') =>
      api.call<Record<string, unknown>>('PUT', `/api/services/ops-service/jobs${query}`, { jobs });
    await api.register({ ...job(other), service: 'other-service' });
    // registered one at a time, e.g. by an admin: a declared set never removes it
    expect((await api.register({ ...job(single), service: 'ops-service' })).status).toBe(201);
    const before = await api.call<{ jobs: JobView[] }>('GET', '/api/jobs?service=ops-service&limit=200');
    const earlier = before.body.jobs.map((j) => j.name).filter((n) => n !== single);

    const first = await declare([job(a), { ...job(b), service: 'ops-service' }]);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      dryRun: false,
      created: [a, b].sort(),
      updated: [],
      unchanged: [],
      removed: [],
    });
    expect(first.body.kept).toEqual(expect.arrayContaining([single, ...earlier]));
    expect((first.body.reasons as Record<string, string>)[single]).toMatch(/registered one at a time/);
    expect(await jobOf(a)).toMatchObject({ service: 'ops-service', declared: true });
    expect(await jobOf(single)).toMatchObject({ declared: false });

    // a dry run answers the diff and changes nothing
    const next = [job(a, { cron: '0 5 * * *' }), job(c)];
    const dry = await declare(next, '?dryRun=true');
    expect(dry.body).toMatchObject({ dryRun: true, created: [c], updated: [a], unchanged: [], removed: [b] });
    expect((dry.body.reasons as Record<string, string>)[b]).toBe(
      'declared by ops-service in an earlier set, left out of this one',
    );
    expect((await api.call('GET', `/api/jobs/${b}`)).status).toBe(200);
    expect((await api.call('GET', `/api/jobs/${c}`)).status).toBe(404);
    expect((await jobOf(a)).cron).toBe('0 4 * * *');

    const second = await declare(next);
    expect(second.body).toMatchObject({ dryRun: false, created: [c], updated: [a], unchanged: [], removed: [b] });
    const third = await declare(next);
    expect(third.body).toMatchObject({ created: [], updated: [], unchanged: [a, c].sort(), removed: [] });
    expect((await api.call('GET', `/api/jobs/${b}`)).status).toBe(404);
    expect((await api.call('GET', `/api/jobs/${other}`)).status).toBe(200);
    expect((await api.call('GET', `/api/jobs/${single}`)).status).toBe(200);
    expect((await declare(next, '?dryRun=true')).body).toMatchObject({ unchanged: [a, c].sort(), removed: [] });

    // a job registered one at a time leaves the declared set: the last registration decides
    expect((await api.register({ ...job(c), service: 'ops-service' })).body).toMatchObject({ status: 'updated' });
    expect((await declare([job(a, { cron: '0 5 * * *' })])).body).toMatchObject({
      removed: [],
      kept: expect.arrayContaining([c, single]),
    });

    const wrong = await api.call<{ error: { message: string } }>('PUT', '/api/services/ops-service/jobs', {
      jobs: [job(a), { ...job(b), service: 'other-service' }],
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toBe(
      'jobs.1.service: must be ops-service, the service the path names, or left out',
    );
    const bad = await api.call<{ error: { message: string } }>('PUT', '/api/services/ops-service/jobs', {
      jobs: [job(a), job(b, { endpoint: '/../x' })],
    });
    expect(bad.body.error.message).toMatch(/^jobs\.1\.endpoint: /);
    expect((await api.call('GET', `/api/jobs/${b}`)).status).toBe(404); // nothing applied

    const taken = await declare([job(b), job(other, { endpoint: '/steal' })]);
    expect(taken.status).toBe(409); // the other service's name: refused before anything changes
    expect(taken.body).toMatchObject({ error: { code: 'job_name_taken', field: 'jobs.1.name' } });
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
