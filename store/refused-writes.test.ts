import type { ExecutionRecord } from '../jobs/execution';
import type { MirrorRefusal } from '../jobs/execution-events';
import { StoreError, type JobStore } from './job-store';
import { createMemoryStore } from './memory';
import { keepRefusedRows } from './refused-writes';

describe('keepRefusedRows', () => {
  const ended: ExecutionRecord = {
    id: 'job-run-digest-1',
    jobName: 'digest',
    service: 'email-service',
    status: 'failed',
    trigger: 'manual',
    triggeredBy: 'alice',
    retryOf: null,
    scheduledAt: '2026-11-26T12:00:00.000Z',
    startedAt: '2026-11-26T12:00:00.000Z',
    completedAt: '2026-11-26T12:00:01.000Z',
    durationMs: 1000,
    attempts: 1,
    httpStatus: 500,
    error: 'POST /x answered HTTP 500: boom',
    response: 'boom',
    workflowId: 'job-run-digest-1',
    runId: 'run-1',
  };

  test('a row refused even without its free text is told as unwritten and its refusal rethrown', async () => {
    const seen: MirrorRefusal[] = [];
    const store = keepRefusedRows(createMemoryStore({ refusesExecution: () => true }), (r) => seen.push(r));
    const err = await store.recordExecution(ended).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'StoreError', refused: true });
    expect(seen).toEqual([
      expect.objectContaining({ executionId: ended.id, dropped: ['response', 'error'], written: false }),
    ]);
  });

  test('an unavailable store is no refusal: its error passes as it is, nothing is dropped', async () => {
    const seen: MirrorRefusal[] = [];
    const outage = new StoreError('recordExecution', { cause: new Error('fetch failed') });
    const writes: ExecutionRecord[] = [];
    const down = {
      ...createMemoryStore(),
      recordExecution: async (e: ExecutionRecord) => {
        writes.push(e);
        throw outage;
      },
    } satisfies JobStore;
    await expect(keepRefusedRows(down, (r) => seen.push(r)).recordExecution(ended)).rejects.toBe(outage);
    expect(writes).toEqual([ended]);
    expect(seen).toEqual([]);
  });

  test('only non-null fields are dropped and named', async () => {
    const seen: MirrorRefusal[] = [];
    const inner = createMemoryStore({ refusesExecution: (row) => row.error !== null });
    const store = keepRefusedRows(inner, (r) => seen.push(r));
    await store.recordExecution({ ...ended, response: null });
    expect(await inner.getExecution(ended.id)).toEqual({
      ...ended,
      response: null,
      error: null,
      droppedFields: ['error'],
    });
    expect(seen.map((r) => r.dropped)).toEqual([['error']]);
  });
});
