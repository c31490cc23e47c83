import { Writable } from 'node:stream';
import pino from 'pino';
import { apiClient, uniqueName } from './support/api';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { startTarget, type Target } from './support/target';

/** What the runbook's `grep '"msg":"execution '` finds in a real process's log (docs/operations.md). */
const RUNBOOK_GREP = '"msg":"execution ';

/** The log lines an operator greps for: one per run start and end, never a request line; one line per request. */
describe('log lines', () => {
  let target: Target;
  let scheduler: TestScheduler;
  const lines: string[] = [];
  const name = uniqueName('logs');

  beforeAll(async () => {
    target = await startTarget();
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    scheduler = await startTestScheduler(
      { LOGS_SERVICE_URL: target.url, LOG_LEVEL: 'info' },
      { log: pino({ level: 'info' }, sink) },
    );
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, [name]);
    await scheduler.stop();
    await target.close();
  });

  test('the runbook grep finds each run start and end, with job, executionId, attempts and httpStatus; no request', async () => {
    const api = apiClient(scheduler.url);
    const registered = await api.register({
      name,
      service: 'logs-service',
      endpoint: '/logs',
      cron: '0 0 1 1 *',
      enabled: false,
      retry: { maxAttempts: 2, initialIntervalSeconds: 1, maxIntervalSeconds: 1 },
    });
    expect(registered.status).toBe(201);
    target.answer('/logs', [{ status: 200 }, { status: 500 }]);
    const ok = await api.finished((await api.trigger(name)).body.execution.id);
    const failed = await api.finished((await api.trigger(name)).body.execution.id);
    expect([ok.status, failed.status]).toEqual(['succeeded', 'failed']);
    // requests whose URLs and answers name executions: a plain `grep execution` would find them too
    expect((await api.call('GET', `/api/executions?job=${name}`)).status).toBe(200);
    expect((await api.execution(failed.id)).status).toBe(200);
    const requestLines = lines.filter((l) => l.includes('/api/executions'));
    expect(requestLines.length).toBeGreaterThan(0);
    // one line per request, once answered: what was asked, its status and the time it took (no `incoming request`)
    const requests = requestLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(new Set(requests.map((l) => l.msg))).toEqual(new Set(['request completed']));
    expect(requests.find((l) => (l.req as { url: string }).url === `/api/executions/${failed.id}`)).toMatchObject({
      req: { method: 'GET' },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    });

    const found = lines.filter((l) => l.includes(RUNBOOK_GREP)).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(found.every((l) => l.req === undefined && l.res === undefined && l.reqId === undefined)).toBe(true);
    const byRun = (id: string) => found.filter((l) => l.executionId === id).map((l) => l.msg);
    expect(byRun(ok.id)).toEqual([
      `execution started: ${ok.id} of ${name} (manual)`,
      expect.stringMatching(
        new RegExp(`^execution succeeded: ${ok.id} of ${name} after 1 attempt\\(s\\) in \\d+ ms, HTTP 200$`),
      ),
    ]);
    expect(byRun(failed.id)).toEqual([
      `execution started: ${failed.id} of ${name} (manual)`,
      expect.stringMatching(
        new RegExp(`^execution failed: ${failed.id} of ${name} after 2 attempt\\(s\\) in \\d+ ms, HTTP 500$`),
      ),
    ]);
    expect(found.find((l) => l.executionId === failed.id && l.status === 'failed')).toMatchObject({
      job: name,
      attempts: 2,
      httpStatus: 500,
      level: 40,
    });
    expect(found).toHaveLength(4);
  });
});
