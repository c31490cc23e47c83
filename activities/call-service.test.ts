import { createHmac } from 'node:crypto';
import { CompleteAsyncError } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DEFAULT_RETRY, JOB_DEFAULTS, type JobDefinition } from '../jobs/job';
import type { CallFailureDetails, CallResult } from '../jobs/run-input';
import { failureOf, QUIET_ACTIVITY } from '../test/support/activity';
import { startTarget, type Target } from '../test/support/target';
import { callActivities, type CallRequest } from './call-service';
import { createSigner } from '../jobs/signature';

/** One attempt of the call, against a real local HTTP server. */
describe('callService', () => {
  let target: Target;
  const job = (overrides: Partial<JobDefinition> = {}): JobDefinition => ({
    ...JOB_DEFAULTS,
    name: 'digest',
    service: 'email-service',
    endpoint: '/jobs/digest',
    cron: '@daily',
    payload: { a: 1 },
    retry: { ...DEFAULT_RETRY, maxIntervalSeconds: 60 },
    ...overrides,
  });
  const request = (overrides: Partial<JobDefinition> = {}): CallRequest => ({
    job: job(overrides),
    executionId: 'job-run-digest-2026-11-30T08:00:00Z',
    scheduledAt: '2026-11-30T08:00:00.000Z',
    trigger: 'schedule',
  });
  const quiet = QUIET_ACTIVITY; // failed attempts are the point here
  const call = (req: CallRequest, attempt = 1, signingSecret?: string) => {
    const { callService } = callActivities({
      services: new Map([['email-service', target.url]]),
      fetch: globalThis.fetch,
      signer: signingSecret ? createSigner(signingSecret) : undefined,
    });
    return new MockActivityEnvironment({ attempt }, quiet).run(callService, req);
  };
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(() => target.close());

  test('2xx succeeds and keeps the first 2 KiB of the response', async () => {
    target.answer('/jobs/digest', [{ status: 202, body: 'x'.repeat(5000) }]);
    const result = await call(request(), 3);
    expect(result).toEqual({ httpStatus: 202, attempt: 3, response: 'x'.repeat(2048) });
  });

  test("an async job's 202 leaves the attempt open for its service's report; any other 2xx is a mistake", async () => {
    target.answer('/jobs/digest', [{ status: 202, body: '{"progress":{"sent":0}}' }]);
    await expect(call(request({ async: true }))).rejects.toBeInstanceOf(CompleteAsyncError);
    target.answer('/jobs/digest', [{ status: 200, body: '{"ok":true}' }]);
    const failure = await failureOf(call(request({ async: true })));
    expect(failure).toMatchObject({ type: 'NotAcceptedError', nonRetryable: true });
    expect(failure.message).toContain('answered HTTP 200, but the job is async');
    expect(failure.details?.[0]).toMatchObject({ httpStatus: 200, timedOut: false, response: '{"ok":true}' });
  });

  test.each(['a', 'bb'])(
    'a response of %s + 3,000 × 😀 is kept to 2 KiB of UTF-8 cut on a whole character, and quoted whole in the error',
    async (prefix) => {
      const body = prefix + '😀'.repeat(3000);
      target.answer('/jobs/digest', [{ status: 200, body }]);
      const { response } = (await call(request())) as CallResult;
      expect(response).toBe(prefix + '😀'.repeat(Math.floor((2048 - prefix.length) / 4)));
      expect(response!.isWellFormed()).toBe(true);
      expect(Buffer.byteLength(response!)).toBeLessThanOrEqual(2048);

      target.answer('/jobs/digest', [{ status: 500, body }]);
      const { message, details } = await failureOf(call(request()));
      expect((details?.[0] as CallFailureDetails).response).toBe(response); // a failure keeps the answer the same way
      expect(message.isWellFormed()).toBe(true);
      expect(message).toMatch(new RegExp(`answered HTTP 500: ${prefix}(😀){${200 - prefix.length}}$`, 'u'));
    },
  );

  test.each([408, 425, 429, 500, 503])('%i is retryable', async (status) => {
    target.answer('/jobs/digest', [{ status }]);
    const failure = await failureOf(call(request()));
    expect(failure).toMatchObject({ type: 'HttpRetryableError', nonRetryable: false });
    expect(failure.details?.[0]).toEqual({ attempt: 1, httpStatus: status, timedOut: false, response: null });
  });

  test.each([400, 401, 404, 409, 422, 301])('%i fails at once', async (status) => {
    target.answer('/jobs/digest', [{ status, body: 'nope' }]);
    const failure = await failureOf(call(request()));
    expect(failure).toMatchObject({ type: 'HttpClientError', nonRetryable: true });
    expect(failure.message).toContain(`HTTP ${status}`);
    expect(failure.details?.[0]).toEqual({ attempt: 1, httpStatus: status, timedOut: false, response: 'nope' });
  });

  test('Retry-After sets the next delay, capped by maxIntervalSeconds', async () => {
    target.answer('/jobs/digest', [{ status: 429, headers: { 'retry-after': '7' } }]);
    expect((await failureOf(call(request()))).nextRetryDelay).toBe(7000);
    target.answer('/jobs/digest', [{ status: 503, headers: { 'retry-after': '3600' } }]);
    expect((await failureOf(call(request()))).nextRetryDelay).toBe(60_000);
    const date = new Date(Date.now() + 20_000).toUTCString();
    target.answer('/jobs/digest', [{ status: 503, headers: { 'retry-after': date } }]);
    const delay = Number((await failureOf(call(request()))).nextRetryDelay);
    expect(delay).toBeGreaterThan(15_000);
    expect(delay).toBeLessThanOrEqual(20_000);
  });

  test('a call slower than timeoutSeconds is a retryable timeout', async () => {
    target.answer('/jobs/digest', [{ status: 200, delayMs: 1500 }]);
    const failure = await failureOf(call(request({ timeoutSeconds: 1 })));
    expect(failure).toMatchObject({ type: 'HttpTimeoutError', nonRetryable: false });
    expect(failure.details?.[0]).toMatchObject({ timedOut: true });
  });

  test('a refused connection is retryable', async () => {
    const { callService } = callActivities({ services: new Map([['email-service', 'http://127.0.0.1:9']]), fetch });
    const failure = await failureOf(new MockActivityEnvironment({}, quiet).run(callService, request()));
    expect(failure).toMatchObject({ type: 'HttpNetworkError', nonRetryable: false });
  });

  test('an unconfigured service can never succeed and is not retried', async () => {
    const failure = await failureOf(call(request({ service: 'gone-service' })));
    expect(failure).toMatchObject({ type: 'TargetUrlError', nonRetryable: true });
  });

  test('with a signing secret, the body is signed as SPEC §7 says', async () => {
    target.answer('/jobs/digest', [{ status: 200 }]);
    await call(request(), 1, 'a-secret-of-sufficient-length');
    const last = target.calls('/jobs/digest').at(-1)!;
    const [t, v1] = String(last.headers['x-scheduler-signature'])
      .split(',')
      .map((p) => p.split('=')[1]);
    expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(5);
    expect(v1).toBe(createHmac('sha256', 'a-secret-of-sufficient-length').update(`${t}.${last.body}`).digest('hex'));
  });
});
