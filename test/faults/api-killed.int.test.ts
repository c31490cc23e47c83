import { Client, Connection } from '@temporalio/client';
import type { JobView } from '../../api/schemas/jobs';
import { apiClient } from '../support/api';
import { deploymentOf } from '../support/process';
import { deleteSchedules } from '../support/scheduler';
import { eventually } from '../support/target';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Fault table: the API SIGKILLed in the middle of a burst of registrations (between creating a schedule and
 * writing its row, for some). After a restart and a reconciler pass, Temporal's schedules and the mirror's rows
 * are the same set, and registering the whole set again makes no duplicate and no orphan.
 */
describe('fault: the API killed mid-registration', () => {
  const deployment = deploymentOf('api-killed');
  const tag = Math.random().toString(36).slice(2, 8);
  const service = `regkill${tag}-service`;
  const jobs = Array.from({ length: 30 }, (_, i) => ({
    name: `regkill-${tag}-${i}`,
    service,
    endpoint: '/x',
    cron: '0 0 1 1 *',
    enabled: false,
  }));
  let connection: Connection;
  const start = () =>
    deployment.start({
      SCHEDULER_RATE_LIMIT_PER_MINUTE: '0',
      [`REGKILL${tag.toUpperCase()}_SERVICE_URL`]: 'http://127.0.0.1:9',
    });

  beforeAll(async () => {
    await deployment.init();
    connection = await Connection.connect({ address: process.env.TEMPORAL_TEST_ADDRESS });
  });
  afterAll(async () => {
    await deleteSchedules(
      new Client({ connection }),
      jobs.map((j) => j.name),
    );
    await connection.close();
  });

  const schedulesOf = async () => {
    const ids: string[] = [];
    for await (const s of new Client({ connection }).schedule.list({ query: `JobService = "${service}"` })) {
      ids.push(s.scheduleId.replace(/^job-/, ''));
    }
    return ids.sort();
  };

  test('after a restart and a reconciler pass, schedules and rows are one set; registering again duplicates nothing', async () => {
    const api = apiClient(deployment.url);
    const first = start();
    await api.ready();
    const answers = jobs.map((job) =>
      api.register(job).then(
        (r) => r.status,
        () => 'killed',
      ),
    );
    await sleep(40); // some registrations are halfway
    await first.stop('SIGKILL');
    const statuses = await Promise.all(answers);
    expect(statuses).toContain('killed');

    const second = start();
    try {
      await api.ready();
      expect((await api.call('POST', '/api/reconcile')).status).toBe(200);
      const rows = async () =>
        (await api.call<{ jobs: JobView[] }>('GET', `/api/jobs?service=${service}`)).body.jobs
          .map((j) => j.name)
          .sort();
      // schedule listing is eventually consistent: compare once both settle
      await eventually(
        async () => [await schedulesOf(), await rows()],
        ([schedules, mirrored]) => JSON.stringify(schedules) === JSON.stringify(mirrored),
        30_000,
      );
      const again = await Promise.all(jobs.map((job) => api.register(job)));
      expect(again.filter((a) => ![200, 201].includes(a.status)).map((a) => a.status)).toEqual([]);
      const all = jobs.map((j) => j.name).sort();
      await eventually(schedulesOf, (s) => JSON.stringify(s) === JSON.stringify(all), 30_000);
      expect(await rows()).toEqual(all);
    } finally {
      await second.stop();
    }
  });
});
