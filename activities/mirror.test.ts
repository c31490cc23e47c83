import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { setTimeout as sleep } from 'node:timers/promises';
import { startedExecution, type ExecutionRecord } from '../jobs/execution';
import { createMemoryStore } from '../store/memory';
import { mirrorActivities } from './mirror';

const execution = (id: string) =>
  startedExecution({
    id,
    jobName: 'digest',
    service: 'email-service',
    trigger: 'schedule',
    triggeredBy: null,
    retryOf: null,
    scheduledAt: '2026-11-30T08:00:00.000Z',
    startedAt: '2026-11-30T08:00:00.000Z',
    runId: `${id}-run`,
  });

describe('recordExecution', () => {
  test('in place, it refuses at once while an earlier in-place write is stuck past its budget, and takes writes again once it ends', async () => {
    const store = createMemoryStore();
    let release = () => {};
    const locked = new Promise<void>((resolve) => (release = resolve));
    const realWrite = store.recordExecution.bind(store);
    store.recordExecution = async (e: ExecutionRecord) => {
      if (e.id === 'stuck') await locked; // a table lock: the write waits until it is released
      return realWrite(e);
    };
    const { recordExecution } = mirrorActivities({ store });
    const quiet = { logger: new DefaultLogger('ERROR') };
    const inPlace = new MockActivityEnvironment({ isLocal: true }, quiet);
    const queued = new MockActivityEnvironment({ isLocal: false }, quiet);

    const stuck = inPlace.run(recordExecution, execution('stuck'));
    await sleep(300);
    await expect(inPlace.run(recordExecution, execution('next'))).rejects.toMatchObject({ type: 'MirrorBusy' });
    // the mirror's own queue still writes (and waits): it is the one that must get every row
    await queued.run(recordExecution, execution('queued'));

    release();
    await stuck;
    await inPlace.run(recordExecution, execution('after'));
    const ids = (await store.listExecutions({ jobName: 'digest', limit: 10 })).map((e) => e.id).sort();
    expect(ids).toEqual(['after', 'queued', 'stuck']);
  });
});
