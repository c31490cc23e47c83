import { CancelledFailure } from '@temporalio/activity';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createMemoryStore } from '../store/memory';
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
