import { scheduleIdOf } from '../jobs/ids';
import type { ReconcileReport } from '../jobs/reconcile';
import type { SchedulePreview } from '../jobs/preview';
import type { JobView } from '../api/schemas/jobs';
import { normalizeJob } from '../jobs/validate';
import { toScheduleOptions } from '../temporal/schedule-options';
import { scheduleMatchingTimes } from '../temporal/schedules';
import { apiClient, uniqueName } from './support/api';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { eventually } from './support/target';

/**
 * The cron dialect on real Temporal, with the examples users of other schedulers bring: each fires exactly as
 * docs/cron.md says, or is a 400 naming `cron` that says what to write instead.
 */
describe('the cron dialect', () => {
  let scheduler: TestScheduler;
  let api: ReturnType<typeof apiClient>;
  const created: string[] = [];
  const job = (overrides: Record<string, unknown>) => {
    const name = uniqueName('cron');
    created.push(name);
    // enabled: a job that will not run lists no next run times (its calls fail at once: nothing listens on port 9)
    return { name, service: 'email-service', endpoint: '/cron', retry: { maxAttempts: 1 }, ...overrides };
  };
  const view = async (name: string) =>
    (
      await eventually(
        () => api.call<{ job: JobView }>('GET', `/api/jobs/${name}`),
        (r) => r.status === 200 && r.body.job.nextRunTimes.length === 5,
        15_000,
      )
    ).body.job;

  beforeAll(async () => {
    scheduler = await startTestScheduler({ EMAIL_SERVICE_URL: 'http://127.0.0.1:9' });
    api = apiClient(scheduler.url);
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, created);
    await scheduler.stop();
  });

  test('MON#1 runs on the first Monday of each month only (Temporal alone would run it every Monday)', async () => {
    const body = job({ cron: '0 13 * * MON#1' });
    expect((await api.register(body)).status).toBe(201);
    const { nextRunTimes, schedule } = await view(body.name);
    expect(schedule).toBe('At 13:00, on the first Monday of the month (UTC)');
    for (const t of nextRunTimes) {
      const d = new Date(t);
      expect([d.getUTCDay(), d.getUTCDate() <= 7, d.getUTCHours()]).toEqual([1, true, 13]);
    }
  });

  test('six fields are read seconds first: */10 * * * * * is every ten seconds', async () => {
    const body = job({ cron: '*/10 * * * * *' });
    expect((await api.register(body)).status).toBe(201);
    const times = (await view(body.name)).nextRunTimes.map(Date.parse);
    expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual([10_000, 10_000, 10_000, 10_000]);
    expect(new Date(times[0]!).getUTCSeconds() % 10).toBe(0);
  });

  test('a CRON_TZ= prefix sets the zone when timezone is not given, and a conflict blames cron', async () => {
    const body = job({ cron: 'CRON_TZ=America/New_York 0 9 * * *' });
    const res = await api.register(body);
    expect(res.status).toBe(201);
    expect(res.body.job.timezone).toBe('America/New_York');
    const clock = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'America/New_York',
      hour: '2-digit',
      minute: '2-digit',
    });
    for (const t of (await view(body.name)).nextRunTimes) expect(clock.format(new Date(t))).toBe('09:00');

    const conflict = await api.register(job({ cron: 'CRON_TZ=America/New_York 0 9 * * *', timezone: 'Europe/Paris' }));
    expect(conflict.status).toBe(400);
    expect(conflict.body).toMatchObject({ error: { field: 'cron' } });
  });

  test.each([
    ['a date that never exists', '0 0 31 2 *', /never fires/],
    ['a year field', '0 0 9 * * MON 2030', /year field is not supported/],
    ['the nearest weekday', '0 0 15W * *', /W\) is not supported/],
    ['a hashed value', 'H * * * *', /set spreadSeconds/],
    ['a sixth Monday', '0 13 * * MON#6', /after # write 1 to 5/],
  ])('%s (%s) is a 400 naming cron, and nothing is created', async (_label, cron, message) => {
    const body = job({ cron });
    const res = await api.register(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      error: { code: 'invalid_job', field: 'cron', message: expect.stringMatching(message) },
    });
    expect((await api.call('GET', `/api/jobs/${body.name}`)).status).toBe(404);
  });

  test('preview: the next fire times, in words, with the daylight-saving marks, and nothing created', async () => {
    const res = await api.call<SchedulePreview>('POST', '/api/schedules/preview', {
      cron: '30 2 * * *',
      timezone: 'Europe/Berlin',
      count: 400,
    });
    expect(res.status).toBe(400); // count is at most 100
    const ok = await api.call<SchedulePreview>('POST', '/api/schedules/preview', {
      cron: 'CRON_TZ=Europe/Berlin 30 2 * * *',
      count: 100,
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ timezone: 'Europe/Berlin', description: 'At 02:30 (Europe/Berlin)' });
    expect(ok.body.nextRunTimes).toHaveLength(100);
    for (const t of ok.body.nextRunTimes)
      expect(t.wallClock).toMatch(t.dst === 'shifted' ? /T03:00:00\+02:00$/ : /T02:30:00/);
    const never = await api.call('POST', '/api/schedules/preview', { cron: '0 0 30 2 *' });
    expect(never).toMatchObject({ status: 400, body: { error: { field: 'cron' } } });
  });

  test('a schedule made before plans (its cron handed to Temporal as written) is replanned by the reconciler', async () => {
    const name = uniqueName('cronold');
    created.push(name);
    const definition = normalizeJob(
      {
        name,
        service: 'email-service',
        endpoint: '/cron',
        cron: '*/15 * * * *',
        timezone: 'Europe/Berlin',
        enabled: false,
      },
      new Map([['email-service', 'http://127.0.0.1:9']]),
    );
    const options = toScheduleOptions(definition, scheduler.taskQueue);
    // as the previous release created it: Temporal's own cron and zone
    await scheduler.client.schedule.create({
      ...options,
      spec: { cronExpressions: ['*/15 * * * *'], timezone: 'Europe/Berlin' },
    });
    const fallBack = { from: new Date('2025-10-25T23:00:00Z'), to: new Date('2025-10-26T04:00:00Z') };
    const before = await scheduleMatchingTimes(scheduler.client, scheduleIdOf(name), fallBack.from, fallBack.to);
    expect(before.length).toBeLessThan(21); // Temporal 1.29 loses quarter-hours east of UTC

    const res = await api.call<{ report: ReconcileReport }>('POST', '/api/reconcile');
    expect(res.status).toBe(200);
    expect(res.body.report.jobsReplanned).toContain(name);
    const after = await scheduleMatchingTimes(scheduler.client, scheduleIdOf(name), fallBack.from, fallBack.to);
    expect(after).toHaveLength(21); // every quarter-hour of the five hours, both copies of the repeated one
    const again = await api.call<{ report: ReconcileReport }>('POST', '/api/reconcile');
    expect(again.body.report.jobsReplanned).not.toContain(name);
    // and registering the same definition again is now unchanged
    expect((await api.register({ ...definition })).body.status).toBe('unchanged');
  });
});
