import type { Client } from '@temporalio/client';
import { normalizeJob } from '../jobs/validate';
import { createSqliteStore } from '../store/sqlite/sqlite-store';
import { jobRowOf } from '../temporal/mirror';
import { toScheduleOptions } from '../temporal/schedule-options';
import { register, sleep, timedPool, untilSteady } from './harness';

/** A job as `POST /api/jobs/register` takes it, for the fleets the benches register. */
export interface Registration {
  name: string;
  service: string;
  endpoint: string;
  cron: string;
}

/** Registers a job, waiting out the API's load shedding (503 `overloaded`) on a machine shared with other work. */
async function registerPatiently(api: string, body: Registration): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await register(api, body);
    } catch (err) {
      if (attempt === 20 || !String(err).includes('answered 503')) throw err;
      await sleep(1000);
    }
  }
}

/**
 * Registers a fleet of `count` jobs on a running scheduler (node dist/main.js on embedded SQLite): the first `viaApi`
 * through `POST /api/jobs/register` (20 clients), read until their rows hold their next run times; the rest, since
 * 10,000 take a quarter of an hour through the API on 2 shared cores (and far longer at 0.2 CPU), the way the API
 * registers them without its HTTP hop and alert watch: the schedule from `toScheduleOptions` (50 at once), then the
 * row Temporal's description gives (`jobRowOf`) written with the SQLite store into the scheduler's own file
 * (`dbFile`). Those jobs get their alert watches from the reconciler's next pass, as after any gap.
 *
 * @param registration job i's registration; its `service` must be in `services` (name → base URL).
 * @throws whatever the API or Temporal answered that was not a 503 (after 20 tries) or a success.
 */
export async function registerFleet(opts: {
  api: string;
  client: Client;
  dbFile: string;
  taskQueue: string;
  services: ReadonlyMap<string, string>;
  count: number;
  viaApi: number;
  registration: (i: number) => Registration;
}): Promise<void> {
  const viaApi = Math.min(opts.count, opts.viaApi);
  await timedPool(viaApi, 20, (i) => registerPatiently(opts.api, opts.registration(i)));
  await untilSteady(
    opts.api,
    Array.from({ length: viaApi }, (_, i) => opts.registration(i).name),
  );
  const store = createSqliteStore(opts.dbFile);
  try {
    await timedPool(opts.count - viaApi, 50, async (i) => {
      const options = toScheduleOptions(normalizeJob(opts.registration(viaApi + i), opts.services), opts.taskQueue);
      await opts.client.schedule.create(options);
      await store.upsertJob(jobRowOf(await opts.client.schedule.getHandle(options.scheduleId).describe())!);
    });
  } finally {
    await store.close();
  }
}
