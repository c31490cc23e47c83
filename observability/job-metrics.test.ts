import { Registry } from 'prom-client';
import { DEFAULT_RETRY, JOB_DEFAULTS } from '../jobs/job';
import type { ExecutionRecord, ExecutionStatus } from '../jobs/execution';
import { NO_TIMES, type JobRecord, type JobStore } from '../store/job-store';
import { createMemoryStore } from '../store/memory';
import { registerJobMetrics } from './job-metrics';

const T0 = Date.parse('2026-11-30T00:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function jobRecord(name: string, overrides: Partial<JobRecord> = {}, enabled = true): JobRecord {
  return {
    definition: {
      ...JOB_DEFAULTS,
      name,
      service: 'email-service',
      endpoint: `/jobs/${name}`,
      cron: '0 * * * *',
      payload: {},
      retry: { ...DEFAULT_RETRY },
      enabled,
    },
    paused: false,
    pauseNote: null,
    scheduleNote: null,
    times: NO_TIMES,
    createdAt: at(0),
    updatedAt: at(0),
    scheduleUpdatedAt: null,
    ...overrides,
  };
}

/** A run of `job` that ended `minutes` after T0 with `status`. */
const ended = (job: string, minutes: number, status: ExecutionStatus): ExecutionRecord => ({
  id: `job-run-${job}-${minutes}`,
  jobName: job,
  service: 'email-service',
  status,
  trigger: 'schedule',
  triggeredBy: null,
  retryOf: null,
  scheduledAt: at(minutes - 1),
  startedAt: at(minutes - 1),
  completedAt: at(minutes),
  durationMs: 60_000,
  attempts: 1,
  httpStatus: status === 'succeeded' ? 200 : 500,
  error: status === 'succeeded' ? null : 'HTTP 500',
  response: null,
  workflowId: `job-run-${job}-${minutes}`,
  runId: null,
});

/** The scraped text as `name{labels} value` lines, comments left out. */
async function scrape(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((l) => l.startsWith('scheduler_job'));
}

/** A store whose `listJobs` calls are counted, and fail while `failing` is set. */
function watched(store: JobStore) {
  const calls = { count: 0, failing: false };
  const listJobs: JobStore['listJobs'] = (filter) => {
    calls.count++;
    return calls.failing ? Promise.reject(new Error('store down')) : store.listJobs(filter);
  };
  return { listJobs, calls };
}

describe('per-job metrics from the mirror', () => {
  let store: JobStore;
  let clock: number;
  const now = () => clock;
  beforeEach(async () => {
    clock = T0 + 600 * 60_000;
    store = createMemoryStore();
    await store.upsertJob(jobRecord('nightly', { times: { nextRunTimes: [], skipped: 3, missed: 1 } }));
    await store.recordExecution(ended('nightly', 60, 'succeeded'));
    await store.upsertJob(jobRecord('flaky'));
    await store.recordExecution(ended('flaky', 60, 'succeeded'));
    for (const m of [120, 180, 240]) await store.recordExecution(ended('flaky', m, 'failed'));
    await store.upsertJob(jobRecord('fresh', { createdAt: at(30) }));
    await store.upsertJob(jobRecord('held', { paused: true, pauseNote: 'migration' }));
    await store.upsertJob(jobRecord('switched-off', {}, false));
  });

  test('each job: its last success (or registration), its failure streak and its skipped and missed occurrences', async () => {
    const registry = new Registry();
    registerJobMetrics(registry, { store, now });
    const lines = await scrape(registry);
    const labels = (job: string) => `{job_name="${job}",service="email-service"}`;
    expect(lines.filter((l) => l.startsWith('scheduler_job_last_success_timestamp_seconds'))).toEqual([
      `scheduler_job_last_success_timestamp_seconds${labels('flaky')} ${(T0 + 60 * 60_000) / 1000}`,
      `scheduler_job_last_success_timestamp_seconds${labels('fresh')} ${(T0 + 30 * 60_000) / 1000}`,
      `scheduler_job_last_success_timestamp_seconds${labels('nightly')} ${(T0 + 60 * 60_000) / 1000}`,
    ]); // paused and disabled jobs are left out: a "no success within" rule does not fire for them
    expect(lines).toEqual(
      expect.arrayContaining([
        `scheduler_job_consecutive_failures${labels('flaky')} 3`,
        `scheduler_job_consecutive_failures${labels('nightly')} 0`,
        `scheduler_job_consecutive_failures${labels('held')} 0`,
        `scheduler_job_occurrences_skipped_total${labels('nightly')} 3`,
        `scheduler_job_occurrences_missed_total${labels('nightly')} 1`,
        `scheduler_job_occurrences_missed_total${labels('flaky')} 0`,
        `scheduler_job_metrics_read_timestamp_seconds ${clock / 1000}`,
      ]),
    );
    expect(lines.filter((l) => l.startsWith('scheduler_job_consecutive_failures{'))).toHaveLength(5);
  });

  test('a success ends the streak on the next read', async () => {
    const registry = new Registry();
    registerJobMetrics(registry, { store, now, ttlMs: 0 });
    expect(await scrape(registry)).toContain(
      'scheduler_job_consecutive_failures{job_name="flaky",service="email-service"} 3',
    );
    await store.recordExecution(ended('flaky', 300, 'succeeded'));
    const lines = await scrape(registry);
    expect(lines).toContain('scheduler_job_consecutive_failures{job_name="flaky",service="email-service"} 0');
    expect(lines).toContain(
      `scheduler_job_last_success_timestamp_seconds{job_name="flaky",service="email-service"} ${(T0 + 300 * 60_000) / 1000}`,
    );
  });

  test('the read goes page by page, and covers every job', async () => {
    const { listJobs, calls } = watched(store);
    const registry = new Registry();
    registerJobMetrics(registry, { store: { listJobs }, now, pageSize: 2 });
    const lines = await scrape(registry);
    expect(lines.filter((l) => l.startsWith('scheduler_job_occurrences_skipped_total{'))).toHaveLength(5);
    expect(calls.count).toBe(3); // 2 + 2 + 1
  });

  test('scrapes within the cache time share one read; a later scrape reads again', async () => {
    const { listJobs, calls } = watched(store);
    const registry = new Registry();
    registerJobMetrics(registry, { store: { listJobs }, now, ttlMs: 5000 });
    await Promise.all([scrape(registry), scrape(registry)]);
    clock += 4999;
    await scrape(registry);
    expect(calls.count).toBe(1);
    clock += 1;
    await scrape(registry);
    expect(calls.count).toBe(2);
  });

  test('a failed read keeps the previous values and its time, counts the failure, and the scrape still answers', async () => {
    const { listJobs, calls } = watched(store);
    const registry = new Registry();
    registerJobMetrics(registry, { store: { listJobs }, now, ttlMs: 0 });
    const before = await scrape(registry);
    calls.failing = true;
    clock += 60_000;
    const during = await scrape(registry);
    expect(during.filter((l) => !l.startsWith('scheduler_job_metrics_read_failures_total'))).toEqual(
      before.filter((l) => !l.startsWith('scheduler_job_metrics_read_failures_total')),
    );
    expect(during).toContain('scheduler_job_metrics_read_failures_total 1');
    calls.failing = false;
    expect(await scrape(registry)).toContain(`scheduler_job_metrics_read_timestamp_seconds ${clock / 1000}`);
  });

  test('before any read succeeds: no per-job series, and a read time of 0 (as stale as can be)', async () => {
    const { listJobs, calls } = watched(store);
    calls.failing = true;
    const registry = new Registry();
    registerJobMetrics(registry, { store: { listJobs }, now });
    const lines = await scrape(registry);
    expect(lines.filter((l) => l.includes('{'))).toEqual([]);
    expect(lines).toEqual(
      expect.arrayContaining([
        'scheduler_job_metrics_read_timestamp_seconds 0',
        'scheduler_job_metrics_read_failures_total 1',
      ]),
    );
  });
});
