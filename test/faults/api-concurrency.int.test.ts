import { scheduleIdOf } from '../../jobs/ids';
import type { JobView } from '../../api/schemas/jobs';
import { definitionOfAction } from '../../temporal/schedule-options';
import { describeSchedule } from '../../temporal/schedules';
import { apiClient, uniqueName } from '../support/api';
import { fetchLedger } from '../support/ledger';
import { deleteSchedules, startTestScheduler, type TestScheduler } from '../support/scheduler';
import { startTarget, type Target } from '../support/target';

/** Fault table: storms at the API. Nothing accepted is lost, nothing runs twice, Temporal and the mirror agree. */
describe('fault: concurrent requests', () => {
  let target: Target;
  let scheduler: TestScheduler;
  const names: string[] = [];
  const api = () => apiClient(scheduler.url);
  const job = (name: string, extra: Record<string, unknown> = {}) => {
    names.push(name);
    return { name, service: 'email-service', endpoint: '/storm', cron: '0 0 1 1 *', enabled: false, ...extra };
  };

  beforeAll(async () => {
    target = await startTarget();
    scheduler = await startTestScheduler({ EMAIL_SERVICE_URL: target.url, SCHEDULER_RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, names);
    await scheduler.stop();
    await target.close();
  });

  test('50 concurrent identical registrations: one schedule, one 201, 49 answers of 200', async () => {
    const body = job(uniqueName('storm'));
    const answers = await Promise.all(Array.from({ length: 50 }, () => api().register(body)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([...Array<number>(49).fill(200), 201].sort());
    const listed = await api().call<{ jobs: JobView[] }>('GET', '/api/jobs?service=email-service');
    expect(listed.body.jobs.filter((j) => j.name === body.name)).toHaveLength(1);
    expect(await describeSchedule(scheduler.client, scheduleIdOf(body.name))).not.toBeNull();
  });

  test('50 concurrent registrations of different definitions: Temporal and the mirror end on the same one', async () => {
    const name = uniqueName('storm');
    const bodies = Array.from({ length: 50 }, (_, i) => job(name, { description: `version ${i}`, endpoint: `/v${i}` }));
    const answers = await Promise.all(bodies.map((b) => api().register(b)));
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    const inTemporal = definitionOfAction((await describeSchedule(scheduler.client, scheduleIdOf(name)))!.action)!;
    const mirrored = (await api().call<{ job: JobView }>('GET', `/api/jobs/${name}`)).body.job;
    expect({ endpoint: mirrored.endpoint, description: mirrored.description }).toEqual({
      endpoint: inTemporal.endpoint,
      description: inTemporal.description,
    });
  });

  test('five triggers sent at once: five runs, each delivered once, five rows, counters equal rows', async () => {
    const body = job(uniqueName('burst'));
    expect((await api().register(body)).status).toBe(201);
    const runs = await Promise.all(Array.from({ length: 5 }, () => api().trigger(body.name)));
    const ids = runs.map((r) => r.body.execution.id);
    expect(new Set(ids).size).toBe(5);
    for (const id of ids) expect(await api().finished(id)).toMatchObject({ status: 'succeeded' });
    const ledger = await fetchLedger(scheduler.client, scheduler.url, target, body.name);
    expect(ledger).toMatchObject({ duplicateDeliveries: [], lostRows: [], extraRows: [], countersEqualRows: true });
    expect(ledger.runs.sort()).toEqual([...ids].sort());
    expect(target.calls('/storm').filter((c) => c.headers['x-scheduler-job'] === body.name)).toHaveLength(5);
  });
});
