import { scheduleIdOf } from '../jobs/ids';
import type { JobView } from '../api/schemas/jobs';
import { normalizeJob } from '../jobs/validate';
import { toScheduleOptions } from '../temporal/schedule-options';
import { scheduleMatchingTimes } from '../temporal/schedules';
import { apiClient, uniqueName } from './support/api';
import { changeCrons, changesOf, DST_CRONS, DST_ZONES } from './support/dst-cases';
import { oracleFires, wallsOf, type OracleCron } from './support/dst-oracle';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { eventually } from './support/target';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The plans under test are made as of this day, so their horizon covers 2025–2027 whenever the test runs. */
const PLANNED_AT = new Date('2026-06-01T00:00:00Z');
const services = new Map([['email-service', 'http://127.0.0.1:9']]);
const iso = (times: readonly number[]) => times.map((t) => new Date(t).toISOString());

/**
 * The property test against Temporal itself: for every zone × cron, the schedule the product registers is created
 * in Temporal (paused), and the times Temporal plans for it around every offset change of 2025–2027
 * (ListScheduleMatchingTimes) must equal the oracle's, which walks the wall clock minute by minute through Intl and
 * applies the documented policy. Then jobs registered through the API: their views' nextRunTimes must equal the
 * oracle's next times.
 */
describe('daylight-saving: what Temporal plans equals the oracle, in every zone', () => {
  let scheduler: TestScheduler;
  const created: string[] = [];
  const summary = { zones: 0, crons: 0, changes: 0, windows: 0, differences: 0 };

  beforeAll(async () => {
    scheduler = await startTestScheduler({ EMAIL_SERVICE_URL: 'http://127.0.0.1:9' });
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, created);
    await scheduler.stop();
    console.log(`DST property test (Temporal): ${JSON.stringify(summary)}`);
  });

  async function createPaused(zone: string, cron: OracleCron): Promise<string> {
    const name = uniqueName('dst');
    created.push(name);
    const job = normalizeJob(
      { name, service: 'email-service', endpoint: '/dst', cron: cron.cron, timezone: zone, enabled: false },
      services,
    );
    await scheduler.client.schedule.create(toScheduleOptions(job, scheduler.taskQueue, PLANNED_AT));
    return name;
  }

  test.each(DST_ZONES.map((zone) => [zone]))(
    '%s: ListScheduleMatchingTimes around each change equals the oracle',
    async (zone) => {
      const changes = changesOf(zone);
      const windows = changes.length ? changes : [Date.UTC(2026, 2, 29, 1)];
      const crons = [...DST_CRONS, ...changeCrons(zone, changes)];
      summary.zones++;
      summary.crons += crons.length;
      summary.changes += changes.length;
      const names = await Promise.all(crons.map((cron) => createPaused(zone, cron)));
      const differences: unknown[] = [];
      for (const at of windows) {
        const from = Math.floor(at / 60_000) * 60_000 - DAY;
        const to = from + 2 * DAY - 60_000;
        const walls = wallsOf(zone, from - 3 * HOUR, from + 2 * DAY);
        for (const [i, cron] of crons.entries()) {
          summary.windows++;
          const expected = iso(oracleFires(cron, walls, from - 3 * HOUR, 3 * HOUR));
          const planned = iso(
            (await scheduleMatchingTimes(scheduler.client, scheduleIdOf(names[i]!), new Date(from), new Date(to))).map(
              (d) => d.getTime(),
            ),
          );
          if (JSON.stringify(planned) !== JSON.stringify(expected)) {
            differences.push({ cron: cron.cron, change: new Date(at).toISOString(), planned, expected });
          }
        }
      }
      summary.differences += differences.length;
      expect(differences).toEqual([]);
    },
    120_000,
  );

  test("a registered job's nextRunTimes are the oracle's next times, in every zone", async () => {
    const api = apiClient(scheduler.url);
    const crons = [DST_CRONS[0]!, DST_CRONS[6]!, DST_CRONS[11]!]; // every 15 minutes, daily 02:30, Sundays 02:45
    const registered: { zone: string; cron: OracleCron; name: string }[] = [];
    for (const zone of DST_ZONES) {
      for (const cron of crons) {
        const name = uniqueName('dstview');
        created.push(name);
        const res = await api.register({
          name,
          service: 'email-service',
          endpoint: '/dst',
          cron: cron.cron,
          timezone: zone,
        });
        expect(res.status).toBe(201);
        registered.push({ zone, cron, name });
      }
    }
    const start = Math.floor(Date.now() / 60_000) * 60_000;
    const walls = new Map<string, ReturnType<typeof wallsOf>>();
    for (const { zone, cron, name } of registered) {
      const readStart = Date.now();
      const view = (
        await eventually(
          () => api.call<{ job: JobView }>('GET', `/api/jobs/${name}`),
          (r) => r.status === 200 && r.body.job.nextRunTimes.length === 5,
          30_000,
        )
      ).body.job;
      if (!walls.has(zone)) walls.set(zone, wallsOf(zone, start - 3 * HOUR, start + 36 * DAY));
      const fires = oracleFires(cron, walls.get(zone)!, start - 3 * HOUR, 3 * HOUR);
      const first = Date.parse(view.nextRunTimes[0]!);
      // nothing the oracle plans is missing before the first listed time, and the five listed are the oracle's
      expect({ zone, cron: cron.cron, missing: iso(fires.filter((t) => t > readStart && t < first)) }).toEqual({
        zone,
        cron: cron.cron,
        missing: [],
      });
      expect({ zone, cron: cron.cron, nextRunTimes: view.nextRunTimes }).toEqual({
        zone,
        cron: cron.cron,
        nextRunTimes: iso(fires.filter((t) => t >= first).slice(0, 5)),
      });
    }
  }, 300_000);
});
