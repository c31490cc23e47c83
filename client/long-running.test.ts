import Fastify from 'fastify';
import { Writable } from 'node:stream';
import { createSigner } from '../jobs/signature';
import { startTarget } from '../test/support/target';
import { schedulerSignature } from './fastify-plugin';
import { acceptAndReport, executionContextOf, type LongRunningJob } from './long-running';
import { ExecutionConflictError } from './request-error';
import { createSchedulerClient, type Completion, type ExecutionContext } from './scheduler-client';

type Work = (job: LongRunningJob<{ to: string }>) => Promise<Record<string, unknown> | void>;

/** A service's route made with acceptAndReport, the scheduler faked at the client's own interface. */
describe('acceptAndReport: answer 202 now, do the work, report the end', () => {
  function service(work: Work, answers: { heartbeat?: () => Promise<{ cancelRequested: boolean }> } = {}) {
    const completed: Array<[ExecutionContext, Completion]> = [];
    const heartbeats: Array<Record<string, unknown> | undefined> = [];
    let reported!: () => void;
    const done = new Promise<void>((r) => (reported = r));
    const scheduler = {
      heartbeat: async (_execution: ExecutionContext, progress?: Record<string, unknown>) => {
        heartbeats.push(progress);
        return answers.heartbeat ? answers.heartbeat() : { cancelRequested: false };
      },
      complete: async (execution: ExecutionContext, completion: Completion) => {
        completed.push([execution, completion]);
        reported();
        return { changed: true, status: completion.status, attempt: execution.attempt };
      },
    };
    const logs: Array<{ level: number; msg: string; err?: { message: string } }> = [];
    const stream = new Writable({
      write: (line: Buffer, _enc, next) => next(void logs.push(JSON.parse(String(line)))),
    });
    const app = Fastify({ logger: { level: 'info', stream } });
    app.post('/digest', acceptAndReport(scheduler, work));
    return { app, completed, heartbeats, done, logs };
  }
  const call = (headers: Record<string, string> = {}) => ({
    method: 'POST' as const,
    url: '/digest',
    payload: { job: 'weekly-digest', executionId: 'run-1', attempt: 2, payload: { to: 'all' } },
    headers: { 'x-scheduler-execution': 'run-1', 'x-scheduler-attempt': '2', ...headers },
  });

  test('answers 202 while the work runs, passes its progress on, then completes succeeded with its result', async () => {
    let finish!: () => void;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const { app, completed, heartbeats, done } = service(async (job) => {
      const released = new Promise<void>((r) => (finish = r));
      started();
      await job.heartbeat({ sent: 0, total: 2 });
      await released;
      return { sent: 2, to: job.payload.to, attempt: job.attempt };
    });
    const res = await app.inject(call({ 'x-scheduler-signature': 't=1,v1=ab' }));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: true });
    await running; // the work starts after the answer went
    expect(completed).toEqual([]);
    finish();
    await done;
    expect(heartbeats).toEqual([{ sent: 0, total: 2 }]);
    expect(completed).toEqual([
      [
        { executionId: 'run-1', attempt: 2, signature: 't=1,v1=ab' },
        { status: 'succeeded', result: { sent: 2, to: 'all', attempt: 2 } },
      ],
    ]);
  });

  test('work that throws completes failed with its message; work that resolves to nothing, succeeded alone', async () => {
    const failing = service(async () => {
      throw new Error('template missing');
    });
    expect((await failing.app.inject(call())).statusCode).toBe(202);
    await failing.done;
    expect(failing.completed[0]![1]).toEqual({ status: 'failed', error: 'template missing' });

    const quiet = service(async () => undefined);
    await quiet.app.inject(call());
    await quiet.done;
    expect(quiet.completed[0]![1]).toEqual({ status: 'succeeded' });
  });

  test.each([
    ['asks to cancel', async () => ({ cancelRequested: true })],
    [
      'no longer waits for this attempt',
      async (): Promise<{ cancelRequested: boolean }> => {
        throw new ExecutionConflictError(409, 'execution_conflict', 'attempt: execution e is on attempt 3, not 2');
      },
    ],
  ])('when a heartbeat finds the scheduler %s, the signal aborts and no end is reported', async (_label, answer) => {
    let stopped!: (reason: unknown) => void;
    const seen = new Promise((r) => (stopped = r));
    const { app, completed, heartbeats, logs } = service(
      async (job) => {
        job.signal.addEventListener('abort', () => stopped(job.signal.reason));
        await job.heartbeat({ sent: 1 });
        await job.heartbeat({ sent: 2 }); // after the abort: not sent
        job.signal.throwIfAborted();
        return { sent: 2 };
      },
      { heartbeat: answer },
    );
    await app.inject(call());
    expect(await seen).toBeInstanceOf(Error);
    await new Promise((r) => setTimeout(r, 50));
    expect(heartbeats).toEqual([{ sent: 1 }]);
    expect(completed).toEqual([]);
    expect(logs.some((l) => l.msg === 'execution run-1 stopped')).toBe(true);
  });

  test('a call without the execution headers is a 400 and no work starts', async () => {
    let ran = false;
    const { app } = service(async () => void (ran = true));
    const res = await app.inject({ method: 'POST', url: '/digest', payload: {} });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'not_a_scheduler_call' } });
    await new Promise((r) => setImmediate(r));
    expect(ran).toBe(false);
  });

  test('a report that fails is logged with the request logger, and the process carries on', async () => {
    const { app, logs } = service(async () => ({ sent: 1 }));
    app.post(
      '/broken',
      acceptAndReport(
        {
          heartbeat: async () => ({ cancelRequested: false }),
          complete: async () => {
            throw new Error('scheduler at http://x not reachable: ECONNREFUSED');
          },
        },
        async () => ({ sent: 1 }),
      ),
    );
    expect((await app.inject({ ...call(), url: '/broken' })).statusCode).toBe(202);
    await new Promise((r) => setTimeout(r, 50));
    const failure = logs.find((l) => l.msg === 'reporting the end of execution run-1 failed');
    expect(failure).toMatchObject({ level: 50, err: { message: expect.stringContaining('ECONNREFUSED') } });
  });

  test('executionContextOf reads the headers; the execution id falls back on Idempotency-Key', () => {
    expect(executionContextOf({ 'idempotency-key': 'run-9', 'x-scheduler-attempt': '1' })).toEqual({
      executionId: 'run-9',
      attempt: 1,
    });
    expect(executionContextOf({ 'x-scheduler-execution': 'run-9', 'x-scheduler-attempt': '0' })).toBeUndefined();
    expect(executionContextOf({ 'x-scheduler-attempt': '1' })).toBeUndefined();
  });

  test("end to end: a signed call's proof reaches the scheduler, verbatim, with the attempt", async () => {
    const stand = await startTarget();
    try {
      const path = '/api/executions/run-7/complete';
      stand.answer(path, [{ status: 200, body: JSON.stringify({ changed: true, status: 'succeeded', attempt: 3 }) }]);
      const secret = 'shared-secret-of-some-length';
      const app = Fastify();
      await app.register(async (scheduled) => {
        await scheduled.register(schedulerSignature, { secret });
        scheduled.post(
          '/digest',
          acceptAndReport(createSchedulerClient({ url: stand.url }), async () => ({ ok: 1 })),
        );
      });
      const body = JSON.stringify({ job: 'weekly-digest', executionId: 'run-7', attempt: 3, payload: {} });
      const signature = createSigner(secret).sign(body);
      const res = await app.inject({
        method: 'POST',
        url: '/digest',
        payload: body,
        headers: {
          'content-type': 'application/json',
          'idempotency-key': 'run-7',
          'x-scheduler-execution': 'run-7',
          'x-scheduler-attempt': '3',
          'x-scheduler-signature': signature,
        },
      });
      expect(res.statusCode).toBe(202);
      const [report] = await stand.waitForCalls(path, 1, 5_000);
      expect(report!.json).toEqual({ status: 'succeeded', result: { ok: 1 }, attempt: 3 });
      expect(report!.headers).toMatchObject({
        'idempotency-key': 'run-7',
        'x-scheduler-attempt': '3',
        'x-scheduler-signature': signature,
      });
      expect(report!.headers.authorization).toBeUndefined();
    } finally {
      await stand.close();
    }
  });
});
