import { scheduleIdOf, scheduledWorkflowIdOf } from '../jobs/ids';
import { spreadOffsetOf } from '../jobs/spread';
import type { JobView } from '../api/schemas/jobs';
import type { FleetFiresSchema } from '../api/schemas/fleet';
import type { Static } from '@sinclair/typebox';
import { apiClient, uniqueName } from './support/api';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { eventually, startTarget, type Target } from './support/target';

type Fleet = Static<typeof FleetFiresSchema>;

/** A job name whose spread (59 s) puts it well inside the minute, so that a run at second 0 could not pass for it. */
function spreadName(prefix: string): { name: string; offset: number } {
  for (;;) {
    const name = uniqueName(prefix);
    const offset = spreadOffsetOf(name, 59);
    if (offset >= 10 && offset <= 50) return { name, offset };
  }
}

const secondOf = (iso: string | Date) => new Date(iso).getUTCSeconds();

/** spreadSeconds against real Temporal: the schedule's planned times, a run, the job view and the fleet view agree. */
describe('a herd spread by spreadSeconds', () => {
  let target: Target;
  let scheduler: TestScheduler;
  let api: ReturnType<typeof apiClient>;
  const created: string[] = [];

  beforeAll(async () => {
    target = await startTarget();
    scheduler = await startTestScheduler({ EMAIL_SERVICE_URL: target.url, SCHEDULER_TEMPORAL_START_RATE: '2' });
    api = apiClient(scheduler.url);
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, created);
    await scheduler?.stop();
    await target?.close();
  });

  test("a job on * * * * * with spreadSeconds fires at its offset second: Temporal's plan, the run, the views", async () => {
    const { name, offset } = spreadName('spread');
    created.push(name);
    const registered = await api.register({
      name,
      service: 'email-service',
      endpoint: `/${name}`,
      cron: '* * * * *',
      spreadSeconds: 59,
    });
    expect(registered.status).toBe(201);
    expect(registered.body.job).toMatchObject({ spreadSeconds: 59, spreadOffsetSeconds: offset });

    // Temporal plans the shifted times itself
    const described = await scheduler.client.schedule.getHandle(scheduleIdOf(name)).describe();
    expect(described.info.nextActionTimes.length).toBeGreaterThan(0);
    expect(described.info.nextActionTimes.map(secondOf)).toEqual(described.info.nextActionTimes.map(() => offset));

    // the job view's next run times (refreshed from Temporal in the background) say the same
    const view = await eventually(
      () => api.call<{ job: JobView }>('GET', `/api/jobs/${name}`),
      (r) => r.status === 200 && r.body.job.nextRunTimes.length > 0,
    );
    expect(view.body.job.nextRunTimes.map(secondOf)).toEqual(view.body.job.nextRunTimes.map(() => offset));

    // the preview of the same cron and name agrees
    const preview = await api.call<{ spreadOffsetSeconds: number; nextRunTimes: { at: string }[] }>(
      'POST',
      '/api/schedules/preview',
      { cron: '* * * * *', name, spreadSeconds: 59, count: 3 },
    );
    expect(preview.status).toBe(200);
    expect(preview.body.spreadOffsetSeconds).toBe(offset);
    expect(preview.body.nextRunTimes.map((t) => secondOf(t.at))).toEqual([offset, offset, offset]);

    // the fleet view counts it at that second
    const fleet = await api.call<Fleet>('GET', '/api/fleet/fires?seconds=120');
    expect(fleet.status).toBe(200);
    expect(fleet.body).toMatchObject({ startRate: 2, jobs: 1, totalFires: 2, herds: [] });
    expect(fleet.body.seconds.map((s) => secondOf(s.at))).toEqual([offset, offset]);

    // a run fires at that second: its nominal time, its workflow id and the call say so
    const [call] = await target.waitForCalls(`/${name}`, 1, 75_000);
    const scheduledAt = String(call!.headers['x-scheduler-scheduled-at']);
    expect(secondOf(scheduledAt)).toBe(offset);
    expect(call!.at).toBeGreaterThanOrEqual(Date.parse(scheduledAt));
    const executionId = String(call!.headers['x-scheduler-execution']);
    expect(executionId).toBe(scheduledWorkflowIdOf(name, new Date(scheduledAt)));
    expect(await api.finished(executionId)).toMatchObject({
      status: 'succeeded',
      scheduledAt: new Date(scheduledAt).toISOString(),
    });
  }, 120_000);

  test('jobs on one second past the start rate are a herd in the fleet view; spread, they are not', async () => {
    // half an hour ahead, so that none fires while the test runs
    const minute = (new Date().getUTCMinutes() + 30) % 60;
    const herd = Array.from({ length: 3 }, (_, i) => uniqueName(`herd-${i}`));
    created.push(...herd);
    for (const name of herd) {
      const res = await api.register({
        name,
        service: 'email-service',
        endpoint: `/${name}`,
        cron: `${minute} * * * *`,
      });
      expect(res.status).toBe(201);
    }
    const fleet = await api.call<Fleet>('GET', '/api/fleet/fires');
    const at = fleet.body.herds.find((h) => new Date(h.at).getUTCMinutes() === minute);
    expect(at).toMatchObject({ count: 3, expectedDelaySeconds: 1.5, more: 0 });
    expect([...at!.jobs].sort()).toEqual([...herd].sort());

    // the same jobs with spreadSeconds: 59 leave the second (3 names rarely share one of 60 offsets; the test checks)
    for (const name of herd) {
      const res = await api.register({
        name,
        service: 'email-service',
        endpoint: `/${name}`,
        cron: `${minute} * * * *`,
        spreadSeconds: 59,
      });
      expect(res.body).toMatchObject({ status: 'updated', job: { spreadOffsetSeconds: spreadOffsetOf(name, 59) } });
    }
    const spread = await api.call<Fleet>('GET', '/api/fleet/fires');
    const offsets = herd.map((name) => spreadOffsetOf(name, 59));
    const crowded = offsets.some((o) => offsets.filter((p) => p === o).length > 2);
    expect(spread.body.herds.some((h) => new Date(h.at).getUTCMinutes() === minute)).toBe(crowded);
  });
});
