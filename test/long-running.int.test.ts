import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecutionView } from '../api/schemas/executions';
import type { JobView } from '../api/schemas/jobs';
import { apiClient, uniqueName } from './support/api';
import { spawnWorker } from './support/process';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { sharedMirrorEnv } from './support/stack';
import { eventually, startTarget, type ReceivedCall, type Target } from './support/target';

const tokens = { admin: 'admin-token-long', email: 'email-token-long', crawler: 'crawler-token-long' };
const identity = {
  SCHEDULER_SIGNING_SECRET: 'long-running-signing-secret',
  SCHEDULER_ADMIN_TOKENS: `ops=${tokens.admin}`,
  SCHEDULER_SERVICE_TOKENS: `email-service=${tokens.email},crawler-service=${tokens.crawler}`,
};
/** A cron that does not fire during the test: its runs are triggered. */
const NEVER_SOON = '0 0 1 1 *';

/**
 * Long-running jobs on real parts (docs/long-running.md): a Temporal dev server, PostgREST's mirror, a target that
 * answers 202 Accepted, and the test acting as the service, reporting through the API with the service's token.
 */
describe('long-running jobs: 202 Accepted, heartbeats, the reported end', () => {
  let target: Target;
  let scheduler: TestScheduler;
  const names: string[] = [];
  const admin = () => apiClient(scheduler.url, tokens.admin);
  const service = () => apiClient(scheduler.url, tokens.email);

  beforeAll(async () => {
    target = await startTarget();
    scheduler = await startTestScheduler({
      EMAIL_SERVICE_URL: target.url,
      CRAWLER_SERVICE_URL: target.url,
      ...identity,
      ...sharedMirrorEnv(),
    });
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, names);
    await scheduler.stop();
    await target.close();
  });

  /** Registers an async job of email-service whose endpoint answers 202; its path is `/<name>`. */
  async function asyncJob(
    fields: Record<string, unknown> = {},
    answers = [{ status: 202, body: '{"progress":{"sent":0}}' }],
  ) {
    const name = uniqueName('async');
    names.push(name);
    target.answer(`/${name}`, answers);
    const job = { name, service: 'email-service', endpoint: `/${name}`, cron: NEVER_SOON, async: true, ...fields };
    const registered = await admin().register(job);
    expect(registered.status).toBe(201);
    return name;
  }

  /** Triggers a run of `name` and waits for its `count`-th call. */
  async function triggered(name: string, count = 1): Promise<{ id: string; calls: ReceivedCall[] }> {
    const run = await admin().trigger(name);
    expect(run.status).toBe(202);
    return { id: run.body.execution.id, calls: await target.waitForCalls(`/${name}`, count) };
  }

  const report = (id: string, what: 'heartbeat' | 'complete', body: Record<string, unknown>, as = service()) =>
    as.call<Record<string, unknown>>('POST', `/api/executions/${id}/${what}`, body);

  test('a 202 job that completes after 30 s succeeds with its result; the run shows its progress meanwhile', async () => {
    const name = await asyncJob();
    const { id, calls } = await triggered(name);
    expect(calls[0]!.headers['idempotency-key']).toBe(id);
    await sleep(5000);
    expect(await report(id, 'heartbeat', { progress: { sent: 40, total: 100 }, attempt: 1 })).toMatchObject({
      status: 200,
      body: { cancelRequested: false },
    });
    const running = (await service().execution(id)).body.execution;
    expect(running).toMatchObject({
      status: 'running',
      call: { attempt: 1, state: 'open', progress: { sent: 40, total: 100 } },
    });
    expect(Date.parse(running.call!.lastHeartbeatAt!)).toBeGreaterThan(Date.now() - 10_000);
    await sleep(25_000); // well past the call's own timeoutSeconds (the default 300 s would not show; the call is long done)

    const done = await report(id, 'complete', { status: 'succeeded', result: { sent: 100 }, attempt: 1 });
    expect(done).toMatchObject({ status: 200, body: { changed: true, status: 'succeeded', attempt: 1 } });
    const execution = await service().finished(id);
    expect(execution).toMatchObject({ status: 'succeeded', attempts: 1, httpStatus: 202, response: '{"sent":100}' });
    expect(execution.durationMs).toBeGreaterThanOrEqual(30_000);
    // the same completion again changes nothing; another is refused
    expect(await report(id, 'complete', { status: 'succeeded', result: { sent: 100 }, attempt: 1 })).toMatchObject({
      status: 200,
      body: { changed: false },
    });
    expect((await report(id, 'complete', { status: 'failed', error: 'late', attempt: 1 })).status).toBe(409);
    expect((await report(id, 'heartbeat', { attempt: 1 })).status).toBe(409);
    expect(target.calls(`/${name}`)).toHaveLength(1);
  });

  test('a reported failure is retried per the policy, with the same Idempotency-Key and the next attempt', async () => {
    const name = await asyncJob({ retry: { maxAttempts: 2, initialIntervalSeconds: 1 } });
    const { id } = await triggered(name);
    expect(await report(id, 'complete', { status: 'failed', error: 'smtp down', attempt: 1 })).toMatchObject({
      status: 200,
      body: { changed: true, attempt: 1 },
    });
    // a repeat of the same failure changes nothing; a report of the attempt that failed is over
    expect((await report(id, 'complete', { status: 'failed', error: 'smtp down', attempt: 1 })).body).toMatchObject({
      changed: false,
    });
    const calls = await target.waitForCalls(`/${name}`, 2);
    expect(calls.map((c) => [c.headers['idempotency-key'], c.headers['x-scheduler-attempt']])).toEqual([
      [id, '1'],
      [id, '2'],
    ]);
    expect((await report(id, 'heartbeat', { attempt: 1 })).status).toBe(409);
    await eventually(
      () => report(id, 'complete', { status: 'failed', error: 'smtp still down', attempt: 2 }),
      (r) => r.status === 200,
      10_000,
    );
    expect(await service().finished(id)).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: 'smtp still down',
      httpStatus: 202,
    });
  });

  test('a service that stops heartbeating times the attempt out; the next attempt is called with the same key', async () => {
    const name = await asyncJob({ heartbeatTimeoutSeconds: 10, retry: { maxAttempts: 2, initialIntervalSeconds: 1 } });
    const { id } = await triggered(name);
    const calls = await target.waitForCalls(`/${name}`, 2, 60_000);
    expect(calls[1]!.headers['idempotency-key']).toBe(id);
    expect(calls[1]!.headers['x-scheduler-attempt']).toBe('2');
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(10_000);
    const execution = await service().finished(id, 60_000);
    expect(execution).toMatchObject({ status: 'timed_out', attempts: 2 });
  });

  test('an async job answered 200 is recorded as a mistake, not a success', async () => {
    const name = await asyncJob({}, [{ status: 200, body: '{"ok":true}' }]);
    const { id } = await triggered(name);
    const execution = await service().finished(id);
    expect(execution).toMatchObject({ status: 'failed', attempts: 1, httpStatus: 200 });
    expect(execution.error).toContain('must answer 202 Accepted');
  });

  test("only the owning service or an admin reports: another service's report is a 404", async () => {
    const name = await asyncJob();
    const { id } = await triggered(name);
    const crawler = apiClient(scheduler.url, tokens.crawler);
    expect((await report(id, 'complete', { status: 'succeeded' }, crawler)).status).toBe(404);
    expect((await report(id, 'heartbeat', {}, crawler)).status).toBe(404);
    expect((await report('job-run-nothing-2026-01-01T00:00:00Z', 'complete', { status: 'succeeded' })).status).toBe(
      404,
    );
    expect((await report(id, 'complete', { status: 'succeeded', attempt: 2 })).status).toBe(409);
    expect((await report(id, 'complete', { status: 'done' })).status).toBe(400);
    expect((await report(id, 'complete', { status: 'succeeded' }, admin())).status).toBe(200);
    expect(await service().finished(id)).toMatchObject({ status: 'succeeded' });
  });

  test('a service may report with the call it received instead of its token: its key, attempt and signature', async () => {
    const name = await asyncJob();
    const { id, calls } = await triggered(name);
    const signature = String(calls[0]!.headers['x-scheduler-signature']);
    const proved = (body: Record<string, unknown>, headers: Record<string, string>) =>
      fetch(`${scheduler.url}/api/executions/${id}/${body.status ? 'complete' : 'heartbeat'}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));
    const proof = { 'idempotency-key': id, 'x-scheduler-attempt': '1', 'x-scheduler-signature': signature };
    expect(await proved({ progress: { sent: 1 } }, proof)).toMatchObject({
      status: 200,
      body: { cancelRequested: false },
    });
    // another attempt's claim, another execution's key, a forged signature: no proof, so the token is required
    expect((await proved({}, { ...proof, 'x-scheduler-attempt': '2' })).status).toBe(401);
    expect(
      (
        await proved(
          {},
          { ...proof, 'x-scheduler-signature': signature.slice(0, -1) + (signature.endsWith('0') ? '1' : '0') },
        )
      ).status,
    ).toBe(401);
    expect((await proved({}, { ...proof, 'idempotency-key': `${id}-other` })).status).toBe(401);
    expect((await proved({}, {})).status).toBe(401);
    expect(await proved({ status: 'succeeded', result: { sent: 2 } }, proof)).toMatchObject({ status: 200 });
    expect(await service().finished(id)).toMatchObject({ status: 'succeeded', response: '{"sent":2}' });
  });

  test('a cancel reaches the service through its next heartbeat; the run ends cancelled, naming who', async () => {
    const name = await asyncJob();
    const { id } = await triggered(name);
    expect((await service().call('POST', `/api/executions/${id}/cancel`)).status).toBe(403);
    const cancel = await admin().call<{ execution: ExecutionView }>('POST', `/api/executions/${id}/cancel`);
    expect(cancel.status).toBe(202);
    expect(await report(id, 'heartbeat', { progress: { sent: 5 }, attempt: 1 })).toMatchObject({
      status: 200,
      body: { cancelRequested: true },
    });
    expect(await service().finished(id)).toMatchObject({ status: 'cancelled', error: 'cancelled by ops' });
    expect((await report(id, 'complete', { status: 'succeeded', attempt: 1 })).status).toBe(409);
    expect((await admin().call('POST', `/api/executions/${id}/cancel`)).status).toBe(409);
  });

  test('every 10 s with overlap skip, a 60-s async run holds the job: one at a time, the skipped counted', async () => {
    const name = await asyncJob({ cron: '*/10 * * * * *', overlap: 'skip' });
    const [first] = await target.waitForCalls(`/${name}`, 1, 30_000);
    const id = String(first!.headers['idempotency-key']);
    await sleep(60_000);
    expect(target.calls(`/${name}`)).toHaveLength(1); // nothing else ran while it worked
    expect((await report(id, 'complete', { status: 'succeeded', attempt: 1 })).status).toBe(200);
    const [, second] = await target.waitForCalls(`/${name}`, 2, 30_000);
    expect(second!.headers['idempotency-key']).not.toBe(id);
    await admin().call('POST', `/api/jobs/${name}/pause`, { note: 'test done' });
    const view = await eventually(
      () => admin().call<{ job: JobView }>('GET', `/api/jobs/${name}`),
      (r) => r.body.job.stats.skipped >= 5,
      30_000,
    );
    expect(view.body.job.stats.skipped).toBeLessThanOrEqual(7); // the 60 s held five or six occurrences
    expect(await service().finished(id)).toMatchObject({ status: 'succeeded' });
  });

  test('the scheduler restarted while the service works: the completion arrives after and is recorded once', async () => {
    const name = await asyncJob();
    const { id } = await triggered(name);
    const queue = scheduler.taskQueue;
    await scheduler.stop();
    scheduler = await startTestScheduler({
      EMAIL_SERVICE_URL: target.url,
      CRAWLER_SERVICE_URL: target.url,
      TEMPORAL_TASK_QUEUE: queue,
      ...identity,
      ...sharedMirrorEnv(),
    });
    await admin().ready();
    expect(await report(id, 'complete', { status: 'succeeded', result: { sent: 7 }, attempt: 1 })).toMatchObject({
      status: 200,
      body: { changed: true },
    });
    expect(await service().finished(id)).toMatchObject({ status: 'succeeded', response: '{"sent":7}' });
    const rows = await service().call<{ executions: ExecutionView[] }>('GET', `/api/jobs/${name}/executions`);
    expect(rows.body.executions.map((e) => [e.id, e.status])).toEqual([[id, 'succeeded']]);
    expect(target.calls(`/${name}`)).toHaveLength(1);
  });
});

/**
 * The worker SIGKILLed after its service accepted a run, and started again (test/faults/worker-killed.int.test.ts
 * does the same mid-call): the API runs in this process, the worker is a process of its own.
 */
describe('long-running jobs: the worker killed while the service works', () => {
  let target: Target;
  let api: TestScheduler;
  const name = uniqueName('async-killed');
  const startWorker = () => spawnWorker(api, { EMAIL_SERVICE_URL: target.url });

  beforeAll(async () => {
    target = await startTarget();
    target.answer('/accepts', [{ status: 202 }]);
    api = await startTestScheduler({ SCHEDULER_ROLE: 'api', EMAIL_SERVICE_URL: target.url });
  });
  afterAll(async () => {
    await deleteSchedules(api.client, [name]);
    await api.stop();
    await target.close();
  });

  test('the completion that arrives after the kill is recorded once', async () => {
    const client = apiClient(api.url);
    const job = { name, service: 'email-service', endpoint: '/accepts', cron: NEVER_SOON, async: true };
    expect((await client.register(job)).status).toBe(201);
    let worker = startWorker();
    try {
      const id = (await client.trigger(name)).body.execution.id;
      await target.waitForCalls('/accepts', 1, 60_000);
      await sleep(1000); // the 202 has reached the worker: the attempt waits in Temporal alone
      await worker.stop('SIGKILL');
      worker = startWorker();
      const done = await client.call('POST', `/api/executions/${id}/complete`, { status: 'succeeded', attempt: 1 });
      expect(done).toMatchObject({ status: 200, body: { changed: true } });
      expect(await client.finished(id, 60_000)).toMatchObject({ status: 'succeeded', attempts: 1, httpStatus: 202 });
      const rows = await client.call<{ executions: ExecutionView[] }>('GET', `/api/jobs/${name}/executions`);
      expect(rows.body.executions.map((e) => [e.id, e.status])).toEqual([[id, 'succeeded']]);
      expect(target.calls('/accepts')).toHaveLength(1);
    } finally {
      await worker.stop('SIGKILL');
    }
  });
});
