import { setTimeout as sleep } from 'node:timers/promises';
import { startTarget, type Target } from '../test/support/target';
import { ExecutionConflictError, SchedulerRequestError } from './request-error';
import { createSchedulerClient, type ExecutionContext, type SchedulerClientOptions } from './scheduler-client';

/** heartbeat and complete against a real HTTP server standing in for the scheduler, down and busy at times. */
describe("a long-running job's reports to the scheduler", () => {
  let scheduler: Target;
  beforeEach(async () => (scheduler = await startTarget()));
  afterEach(() => scheduler.close());

  const execution: ExecutionContext = { executionId: 'job-run-weekly-digest-1', attempt: 2 };
  const COMPLETE = `/api/executions/${execution.executionId}/complete`;
  const HEARTBEAT = `/api/executions/${execution.executionId}/heartbeat`;
  const client = (options: Partial<SchedulerClientOptions> = {}) =>
    createSchedulerClient({ url: scheduler.url, initialDelayMs: 20, ...options });
  const json = (status: number, body: unknown) => ({ status, body: JSON.stringify(body) });
  /** The scheduler's 409 for a report the execution takes no more (api/use-cases/reports.ts). */
  const conflict = (message: string, field: string | null = null) =>
    json(409, { error: { code: 'execution_conflict', message, field } });

  test('complete waits through a refused connection, a 503 and a 429, then sends the end with the attempt', async () => {
    const retries: string[] = [];
    await scheduler.down();
    const completing = client({ token: 'email-token', onRetry: (reason) => retries.push(reason) }).complete(execution, {
      status: 'succeeded',
      result: { sent: 1200 },
    });
    await sleep(200);
    scheduler.answer(COMPLETE, [
      { ...json(503, { error: { code: 'temporal_unavailable', message: 'Temporal is not reachable' } }) },
      { ...json(429, { error: { code: 'rate_limited', message: 'slow down' } }), headers: { 'retry-after': '0' } },
      json(200, { changed: true, status: 'succeeded', attempt: 2 }),
    ]);
    await scheduler.up();

    expect(await completing).toEqual({ changed: true, status: 'succeeded', attempt: 2 });
    expect(retries.some((r) => /ECONNREFUSED/.test(r))).toBe(true);
    expect(retries).toEqual(expect.arrayContaining(['HTTP 503: Temporal is not reachable', 'HTTP 429: slow down']));
    const calls = scheduler.calls(COMPLETE);
    expect(calls).toHaveLength(3);
    expect(calls[2]!.json).toEqual({ status: 'succeeded', result: { sent: 1200 }, attempt: 2 });
    expect(calls[2]!.headers.authorization).toBe('Bearer email-token');
  });

  test('complete gives up after completeMaxWaitMs, naming the last reason', async () => {
    await scheduler.down();
    const completing = client({ completeMaxWaitMs: 150 }).complete(execution, { status: 'failed', error: 'x' });
    await expect(completing).rejects.toThrow(/scheduler at http:\/\/127\.0\.0\.1:\d+ not reachable: .*ECONNREFUSED/);
  });

  test('a repeat the scheduler already took is answered changed: false; a 409 or any other 4xx throws at once', async () => {
    scheduler.answer(COMPLETE, [json(200, { changed: false, status: 'succeeded', attempt: 2 })]);
    expect(await client().complete(execution, { status: 'succeeded' })).toEqual({
      changed: false,
      status: 'succeeded',
      attempt: 2,
    });

    scheduler.answer(COMPLETE, [conflict('execution e has ended timed_out: it takes no more reports')]);
    const late = await client()
      .complete(execution, { status: 'succeeded' })
      .catch((err: unknown) => err);
    expect(late).toBeInstanceOf(ExecutionConflictError);
    expect(late).toMatchObject({
      status: 409,
      code: 'execution_conflict',
      message: 'scheduler answered 409: execution e has ended timed_out: it takes no more reports',
    });

    scheduler.answer(COMPLETE, [json(404, { error: { code: 'execution_not_found', message: 'Execution not found' } })]);
    const unknown = await client()
      .complete(execution, { status: 'failed', error: 'boom' })
      .catch((err: unknown) => err);
    expect(unknown).toBeInstanceOf(SchedulerRequestError);
    expect(unknown).not.toBeInstanceOf(ExecutionConflictError);
    expect(unknown).toMatchObject({ status: 404, code: 'execution_not_found' });
    expect(scheduler.calls(COMPLETE)).toHaveLength(3); // one each: none was retried
  });

  test('heartbeat: cancelRequested from the 200; a 409 (ended otherwise, another attempt) throws', async () => {
    scheduler.answer(HEARTBEAT, [
      json(200, { cancelRequested: false }),
      json(200, { cancelRequested: true }),
      conflict('attempt: execution e is on attempt 3, not 2', 'attempt'),
      conflict('execution e has ended succeeded: it takes no more reports'),
    ]);
    const scheduled = client();
    expect(await scheduled.heartbeat(execution, { sent: 100, total: 1200 })).toEqual({ cancelRequested: false });
    expect(await scheduled.heartbeat(execution)).toEqual({ cancelRequested: true });
    await expect(scheduled.heartbeat(execution)).rejects.toMatchObject({
      name: 'ExecutionConflictError',
      field: 'attempt',
    });
    await expect(scheduled.heartbeat(execution)).rejects.toMatchObject({
      name: 'ExecutionConflictError',
      code: 'execution_conflict',
    });
    expect(scheduler.calls(HEARTBEAT).map((c) => c.json)).toEqual([
      { progress: { sent: 100, total: 1200 }, attempt: 2 },
      { attempt: 2 },
      { attempt: 2 },
      { attempt: 2 },
    ]);
  });

  test('heartbeat tries heartbeatTries times, then throws: the next one will tell', async () => {
    scheduler.answer(HEARTBEAT, [json(503, { error: { code: 'unavailable', message: 'starting' } })]);
    await expect(client({ heartbeatTries: 2 }).heartbeat(execution)).rejects.toThrow(
      /not reachable: HTTP 503: starting/,
    );
    expect(scheduler.calls(HEARTBEAT)).toHaveLength(2);
  });

  const PROOF = {
    'idempotency-key': execution.executionId,
    'x-scheduler-attempt': '2',
    'x-scheduler-signature': 't=1764480000,v1=ab12',
  };
  test.each([
    ['a token alone: the bearer', 'email-token', undefined, { authorization: 'Bearer email-token' }],
    ["no token: the call's own proof, its signature verbatim", undefined, PROOF['x-scheduler-signature'], PROOF],
    [
      'both when both are known',
      'email-token',
      PROOF['x-scheduler-signature'],
      { authorization: 'Bearer email-token', ...PROOF },
    ],
  ])('authentication, %s', async (_label, token, signature, expected) => {
    scheduler.answer(HEARTBEAT, [json(200, { cancelRequested: false })]);
    await client({ token }).heartbeat({ ...execution, ...(signature ? { signature } : {}) });
    const { headers } = scheduler.calls(HEARTBEAT)[0]!;
    const names = ['authorization', ...Object.keys(PROOF)];
    expect(Object.fromEntries(names.map((name) => [name, headers[name]]))).toEqual(expected);
  });
});
