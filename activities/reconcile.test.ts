import { CancelledFailure } from '@temporalio/activity';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { startedExecution } from '../jobs/execution';
import { NO_TIMES } from '../store/job-store';
import { createMemoryStore } from '../store/memory';
import { DEFAULT_RETRY, JOB_DEFAULTS } from '../jobs/job';
import { reconcileActivities } from './reconcile';

describe('reconcileMirror', () => {
  test('a pass stops at the next item once cancelled, so that a worker shutting down is not held for minutes', async () => {
    const described: string[] = [];
    // 10,000 job schedules, each found gone when described
    const fake = {
      schedule: {
        async *list() {
          for (let i = 0; i < 10_000; i++) yield { scheduleId: `job-j${i}` };
        },
        getHandle: (id: string) => ({
          describe: async () => {
            described.push(id);
            throw new ScheduleNotFoundError('gone', id);
          },
        }),
      },
    };
    // the worker runs each activity inside withAbortSignal, bound to its cancellation
    const client = { ...fake, withAbortSignal: (_: AbortSignal, fn: () => unknown) => fn() } as unknown as Client;
    const env = new MockActivityEnvironment({}, { client, logger: new DefaultLogger('ERROR') });
    let heartbeats = 0;
    env.on('heartbeat', () => {
      if (++heartbeats === 10) env.cancel('WORKER_SHUTDOWN');
    });
    const { reconcileMirror } = reconcileActivities({ store: createMemoryStore() });
    await expect(env.run(reconcileMirror, { lookbackHours: 24 })).rejects.toBeInstanceOf(CancelledFailure);
    expect(described.length).toBeGreaterThanOrEqual(9);
    expect(described.length).toBeLessThan(20);
  });
});

describe('pruneHistory', () => {
  const minute = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString();

  test('removes the rows ended before the cutoff in batches of 500, until none is left, then resolved alerts', async () => {
    const store = createMemoryStore();
    const job = { name: 'nightly', service: 'email-service' };
    await store.upsertJob({
      definition: { ...JOB_DEFAULTS, ...job, endpoint: '/nightly', cron: '@daily', payload: {}, retry: DEFAULT_RETRY },
      paused: false,
      pauseNote: null,
      scheduleNote: null,
      times: NO_TIMES,
      createdAt: minute(0),
      updatedAt: minute(0),
      scheduleUpdatedAt: null,
    });
    for (let i = 0; i < 1_201; i++) {
      const start = startedExecution({
        id: `run-${i}`,
        jobName: job.name,
        service: job.service,
        trigger: 'schedule',
        triggeredBy: null,
        retryOf: null,
        scheduledAt: minute(i),
        startedAt: minute(i),
        runId: null,
      });
      await store.recordExecution({ ...start, status: 'succeeded', completedAt: minute(i), durationMs: 0 });
    }
    const alert = (id: string, resolvedAt: string | null) => ({
      id,
      jobName: job.name,
      service: job.service,
      rule: { type: 'run_failed' as const },
      state: resolvedAt ? ('resolved' as const) : ('open' as const),
      summary: 'a run failed',
      openedAt: minute(0),
      resolvedAt,
      runs: [],
      deliveries: [],
      updatedAt: resolvedAt ?? minute(0),
    });
    await store.recordAlert(alert('resolved-long-ago', minute(10)));
    await store.recordAlert(alert('resolved-lately', minute(1_150)));
    await store.recordAlert(alert('still-open', null));
    const batches: number[] = [];
    const { pruneHistory } = reconcileActivities({ store, historyPruned: (rows) => batches.push(rows) });
    const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
    let heartbeats = 0;
    env.on('heartbeat', () => heartbeats++);

    const report = await env.run(pruneHistory, { endedBefore: minute(1_100) });

    // rows 0-1099 ended before the cutoff; the rest, and so the job's newest, stay
    expect(report).toEqual({ endedBefore: minute(1_100), rowsRemoved: 1_100, alertsRemoved: 1, finished: true });
    expect(batches).toEqual([500, 500, 100, 0]);
    expect(heartbeats).toBe(6);
    const alerts = await store.listAlerts({ jobName: job.name, limit: 10 });
    expect(alerts.map((a) => a.id).sort()).toEqual(['resolved-lately', 'still-open']);
    expect((await store.getJob(job.name))?.stats.totalRuns).toBe(1_201);
    expect((await store.listExecutions({ jobName: job.name, limit: 200 })).length).toBe(101);
  });
});
