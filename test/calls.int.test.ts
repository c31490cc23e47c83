import { apiClient, uniqueName } from './support/api';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { startTarget, type Target } from './support/target';

/** SPEC §5 on real parts: what the owning service receives, and how answers are classified and retried. */
describe('calls to the owning service', () => {
  let target: Target;
  let scheduler: TestScheduler;
  let api: ReturnType<typeof apiClient>;
  const created: string[] = [];

  beforeAll(async () => {
    target = await startTarget();
    scheduler = await startTestScheduler({ TARGET_SERVICE_URL: `${target.url}/base` });
    api = apiClient(scheduler.url);
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, created);
    await scheduler.stop();
    await target.close();
  });

  /** Registers a paused job with fast retries and triggers it once. */
  async function runOnce(overrides: Record<string, unknown> = {}) {
    const name = uniqueName('call');
    created.push(name);
    const endpoint = `/jobs/${name}`;
    const reg = await api.register({
      name,
      service: 'target-service',
      endpoint,
      cron: '0 0 1 1 *',
      enabled: false,
      retry: { maxAttempts: 5, initialIntervalSeconds: 1, backoffCoefficient: 1, maxIntervalSeconds: 5 },
      ...overrides,
    });
    expect(reg.status).toBe(201);
    return { name, path: `/base${endpoint}` };
  }

  test('503, 503, 200 succeeds on the third attempt, with one idempotency key', async () => {
    const { name, path } = await runOnce();
    target.answer(path, [{ status: 503 }, { status: 503 }, { status: 200, body: 'done' }]);
    const { body } = await api.trigger(name);
    const execution = await api.finished(body.execution.id);
    expect(execution).toMatchObject({ status: 'succeeded', attempts: 3, httpStatus: 200, response: 'done' });
    const calls = target.calls(path);
    expect(calls.map((c) => c.headers['x-scheduler-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(calls.map((c) => c.headers['idempotency-key']))).toEqual(new Set([execution.id]));
    expect(calls.map((c) => c.json?.attempt)).toEqual([1, 2, 3]);
  });

  test('a 400 fails at once: one attempt, its status and body recorded', async () => {
    const { name, path } = await runOnce();
    target.answer(path, [{ status: 400, body: '{"error":"bad payload"}' }]);
    const { body } = await api.trigger(name);
    const execution = await api.finished(body.execution.id);
    expect(execution).toMatchObject({ status: 'failed', attempts: 1, httpStatus: 400 });
    expect(execution.error).toContain('HTTP 400');
    expect(execution.error).toContain('bad payload');
    expect(target.calls(path)).toHaveLength(1);
  });

  test('retryable answers exhaust maxAttempts and fail with the last status', async () => {
    const { name, path } = await runOnce({
      retry: { maxAttempts: 2, initialIntervalSeconds: 1, maxIntervalSeconds: 1 },
    });
    target.answer(path, [{ status: 429 }]);
    const { body } = await api.trigger(name);
    const execution = await api.finished(body.execution.id);
    expect(execution).toMatchObject({ status: 'failed', attempts: 2, httpStatus: 429 });
    expect(target.calls(path)).toHaveLength(2);
  });

  test("a failed run keeps the target's last answer in response: a 422 at once, a 500 after its retries", async () => {
    const refused = await runOnce();
    target.answer(refused.path, [{ status: 422, body: '{"error":"unknown template","field":"template"}' }]);
    const once = await api.finished((await api.trigger(refused.name)).body.execution.id);
    expect(once).toMatchObject({
      status: 'failed',
      attempts: 1,
      httpStatus: 422,
      response: '{"error":"unknown template","field":"template"}',
    });

    const broken = await runOnce({ retry: { maxAttempts: 2, initialIntervalSeconds: 1, maxIntervalSeconds: 1 } });
    const long = `last: ${'ü'.repeat(3000)}`; // cut to 2 KiB of UTF-8 on a whole character, as a success's
    target.answer(broken.path, [
      { status: 500, body: 'first answer' },
      { status: 503, body: long },
    ]);
    const exhausted = await api.finished((await api.trigger(broken.name)).body.execution.id);
    expect(exhausted).toMatchObject({ status: 'failed', attempts: 2, httpStatus: 503 });
    expect(exhausted.response).toBe(`last: ${'ü'.repeat((2048 - 6) / 2)}`);
  });

  test('a target slower than the timeout is retried, and a run that always times out ends timed_out', async () => {
    const slowOnce = await runOnce({ timeoutSeconds: 1 });
    target.answer(slowOnce.path, [
      { status: 200, delayMs: 2500 },
      { status: 200, body: 'fast' },
    ]);
    const first = await api.finished((await api.trigger(slowOnce.name)).body.execution.id);
    expect(first).toMatchObject({ status: 'succeeded', attempts: 2, response: 'fast' });

    const alwaysSlow = await runOnce({ timeoutSeconds: 1, retry: { maxAttempts: 2, initialIntervalSeconds: 1 } });
    target.answer(alwaysSlow.path, [{ status: 200, delayMs: 2500 }]);
    const second = await api.finished((await api.trigger(alwaysSlow.name)).body.execution.id);
    expect(second).toMatchObject({ status: 'timed_out', attempts: 2, httpStatus: null });
  });

  test('Retry-After is honoured', async () => {
    const { name, path } = await runOnce();
    target.answer(path, [{ status: 503, headers: { 'retry-after': '3' } }, { status: 200 }]);
    const execution = await api.finished((await api.trigger(name)).body.execution.id);
    expect(execution).toMatchObject({ status: 'succeeded', attempts: 2 });
    const [a, b] = target.calls(path);
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(2900); // the policy alone would wait 1 s
  });

  test('the body, headers and method of SPEC §5; a payload override applies to that run only', async () => {
    const { name, path } = await runOnce({ method: 'PUT', payload: { region: 'eu' } });
    const manual = await api.trigger(name, { payload: { region: 'us' } });
    await api.finished(manual.body.execution.id);
    const [call] = target.calls(path);
    expect(call!.method).toBe('PUT');
    expect(call!.headers).toMatchObject({
      'content-type': 'application/json',
      'idempotency-key': manual.body.execution.id,
      'x-scheduler-job': name,
      'x-scheduler-execution': manual.body.execution.id,
      'x-scheduler-attempt': '1',
    });
    expect(Date.parse(String(call!.headers['x-scheduler-scheduled-at']))).not.toBeNaN();
    expect(call!.json).toEqual({
      job: name,
      executionId: manual.body.execution.id,
      scheduledAt: call!.headers['x-scheduler-scheduled-at'],
      trigger: 'manual',
      attempt: 1,
      payload: { region: 'us' },
    });
    const job = await api.call<{ job: { payload: unknown } }>('GET', `/api/jobs/${name}`);
    expect(job.body.job.payload).toEqual({ region: 'eu' });
  });

  test('a GET job carries the fields as headers and no body', async () => {
    const { name, path } = await runOnce({ method: 'GET', payload: { full: true, note: 'naïve 日本' } });
    await api.finished((await api.trigger(name)).body.execution.id);
    const [call] = target.calls(path);
    expect(call!.method).toBe('GET');
    expect(call!.body).toBe('');
    expect(JSON.parse(Buffer.from(String(call!.headers['x-scheduler-payload']), 'base64url').toString())).toEqual({
      full: true,
      note: 'naïve 日本',
    });
    expect(call!.headers['x-scheduler-trigger']).toBe('manual');
  });

  test('a redirect is not followed: the call fails without reaching the other location', async () => {
    const { name, path } = await runOnce();
    target.answer(path, [{ status: 302, headers: { location: `${target.url}/elsewhere` } }]);
    const execution = await api.finished((await api.trigger(name)).body.execution.id);
    expect(execution).toMatchObject({ status: 'failed', attempts: 1, httpStatus: 302 });
    expect(target.calls('/elsewhere')).toHaveLength(0);
  });
});
