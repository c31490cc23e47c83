import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { startedExecution } from '../jobs/execution';
import { scheduledWorkflowIdOf } from '../jobs/ids';
import { DEFAULT_RETRY, JOB_DEFAULTS } from '../jobs/job';
import { NO_TIMES } from '../store/job-store';
import { createMemoryStore } from '../store/memory';
import { watchActivities } from './watch';

const T0 = Date.parse('2026-11-29T08:00:00Z');
const minute = (n: number) => new Date(T0 + n * 60_000);

describe('findUnexplained', () => {
  test('answers the times of the window the ledger cannot explain: a run the mirror never got', async () => {
    const store = createMemoryStore();
    await store.upsertJob({
      definition: {
        ...JOB_DEFAULTS,
        name: 'digest',
        service: 'email-service',
        endpoint: '/d',
        cron: '* * * * *',
        payload: {},
        retry: { ...DEFAULT_RETRY },
      },
      paused: false,
      pauseNote: null,
      scheduleNote: null,
      times: NO_TIMES,
      createdAt: minute(-60).toISOString(),
      updatedAt: minute(-60).toISOString(),
      scheduleUpdatedAt: null,
    });
    for (const n of [0, 1, 3, 4]) {
      const id = scheduledWorkflowIdOf('digest', minute(n));
      const startedAt = new Date(minute(n).getTime() + 200).toISOString();
      const run = startedExecution({
        id,
        jobName: 'digest',
        service: 'email-service',
        trigger: 'schedule',
        triggeredBy: null,
        retryOf: null,
        scheduledAt: minute(n).toISOString(),
        startedAt,
        runId: null,
      });
      await store.recordExecution({ ...run, status: 'succeeded', completedAt: startedAt, durationMs: 0, attempts: 1 });
    }
    const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
    const { findUnexplained } = watchActivities({ store });
    const window = { from: minute(0).toISOString(), to: minute(5).toISOString() };
    expect(await env.run(findUnexplained, 'digest', window)).toEqual([minute(2).toISOString()]);
    expect(await env.run(findUnexplained, 'gone', window)).toEqual([]);
  });
});
