import { describeJobStoreContract, REFUSED_TEXT } from '../test/contracts/job-store';
import { NO_TIMES } from './job-store';
import { createMemoryStore } from './memory';

describeJobStoreContract(
  'memory store',
  async () => ({
    store: createMemoryStore({
      refusesExecution: (row) => [row.response, row.error].some((text) => text?.includes(REFUSED_TEXT)),
    }),
  }),
  { sql: false },
);

describe('memory store', () => {
  it('hands out copies, so callers cannot change what it holds', async () => {
    const store = createMemoryStore();
    const definition = {
      name: 'copy-check',
      service: 'email-service',
      endpoint: '/x',
      method: 'POST' as const,
      cron: '@daily',
      timezone: 'UTC',
      description: '',
      payload: { n: 1 },
      enabled: true,
      timeoutSeconds: 300,
      retry: { maxAttempts: 5, initialIntervalSeconds: 10, backoffCoefficient: 2, maxIntervalSeconds: 600 },
      overlap: 'skip' as const,
      catchupWindowSeconds: 3600,
      jitterSeconds: 0,
    };
    const now = new Date().toISOString();
    await store.upsertJob({
      definition,
      paused: false,
      pauseNote: null,
      scheduleNote: null,
      times: NO_TIMES,
      createdAt: now,
      updatedAt: now,
      scheduleUpdatedAt: null,
    });
    definition.payload.n = 2;
    const read = await store.getJob('copy-check');
    if (read) read.definition.payload.n = 3;

    expect((await store.getJob('copy-check'))?.definition.payload).toEqual({ n: 1 });
  });
});
