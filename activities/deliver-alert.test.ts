import { MockActivityEnvironment } from '@temporalio/testing';
import { createSignatureVerifier } from '../client/verify-signature';
import type { Alert, AlertDestination } from '../jobs/alert';
import { createTemporalLinks } from '../temporal/links';
import { slackMessageProblems } from '../test/support/slack-block-kit';
import { failureOf, QUIET_ACTIVITY } from '../test/support/activity';
import { startTarget, type Target } from '../test/support/target';
import { alertPayload, slackMessage } from './alert-payloads';
import { alertActivities, type AlertDelivery } from './deliver-alert';
import { createSigner } from '../jobs/signature';

/** One attempt of one alert to one destination, against a real local HTTP receiver. */
describe('deliverAlert', () => {
  let target: Target;
  const secret = 'a-secret-of-sufficient-length';
  const openedAt = '2026-11-30T08:00:05.000Z';
  const clock = { now: Date.parse(openedAt) + 60_000 };
  const alert = (overrides: Partial<Alert> = {}): Alert => ({
    id: 'weekly-digest/run_failed/2026-11-30T08:00:05.000Z',
    kind: 'firing',
    job: { name: 'weekly-digest', service: 'email-service' },
    rule: { type: 'run_failed' },
    summary: 'weekly-digest failed: HTTP 503',
    openedAt,
    resolvedAt: null,
    runs: [
      {
        executionId: 'job-run-weekly-digest-2026-11-30T08:00:00Z',
        status: 'failed',
        scheduledAt: '2026-11-30T08:00:00.000Z',
        startedAt: '2026-11-30T08:00:00.500Z',
        error: 'answered HTTP 503',
        httpStatus: 503,
      },
    ],
    nextSteps: ['Read the error.'],
    ...overrides,
  });
  const linker = {
    consoleUrl: 'https://scheduler.example/admin/',
    temporal: createTemporalLinks('https://temporal.example', 'default'),
  };
  const quiet = QUIET_ACTIVITY; // failed attempts are the point here
  const activities = (extra: AlertDestination[] = [], opts: { signed?: boolean; timeoutMs?: number } = {}) =>
    alertActivities({
      fetch: globalThis.fetch,
      signer: opts.signed === false ? undefined : createSigner(secret, () => clock.now),
      alerts: {
        ...linker,
        destinations: new Map(
          [
            { name: 'pager', kind: 'webhook' as const, url: `${target.url}/hooks/pager?team=ops` },
            { name: 'ops-slack', kind: 'slack' as const, url: `${target.url}/services/T0/B0/secret-part` },
            ...extra,
          ].map((d) => [d.name, d]),
        ),
        maxAgeHours: 24,
        timeoutMs: opts.timeoutMs,
        now: () => clock.now,
      },
    });
  const deliver = (destination: string, a = alert(), attempt = 1, opts?: Parameters<typeof activities>[1]) =>
    new MockActivityEnvironment({ attempt }, quiet).run(activities([], opts).deliverAlert, { alert: a, destination });
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(() => target.close());
  beforeEach(() => {
    clock.now = Date.parse(openedAt) + 60_000;
  });

  test('the generic webhook gets the alert as JSON, under a stable Idempotency-Key, signed as calls are', async () => {
    target.answer('/hooks/pager', [{ status: 202 }]);
    const key = 'weekly-digest/run_failed/2026-11-30T08:00:05.000Z:firing:pager';
    expect(await deliver('pager', alert(), 3)).toEqual<AlertDelivery>({
      status: 'delivered',
      destination: 'pager',
      idempotencyKey: key,
      httpStatus: 202,
      attempt: 3,
    });
    const received = target.calls('/hooks/pager').at(-1)!;
    expect(received.method).toBe('POST');
    expect(received.headers).toMatchObject({
      'idempotency-key': key,
      'content-type': 'application/json',
      'x-scheduler-alert': alert().id,
    });
    expect(received.json).toEqual(alertPayload(alert(), key, linker));
    // what a receiver runs: client/'s verifier accepts it, and refuses it once processed
    const verifier = createSignatureVerifier({ secret, now: () => clock.now });
    const signed = {
      signature: String(received.headers['x-scheduler-signature']),
      body: received.body,
      idempotencyKey: String(received.headers['idempotency-key']),
    };
    expect(await verifier.verify(signed)).toEqual({ ok: true });
    expect(await verifier.verify({ ...signed, idempotencyKey: 'another-key' })).toEqual({
      ok: false,
      reason: 'key_mismatch',
    });
    await verifier.markProcessed(signed.idempotencyKey);
    expect(await verifier.verify(signed)).toEqual({ ok: false, reason: 'replay' });
  });

  test('every attempt of one message carries the same key; the resolved message of the episode another', async () => {
    target.answer('/hooks/pager', [{ status: 200 }]);
    const before = target.calls('/hooks/pager').length;
    await deliver('pager', alert(), 1);
    await deliver('pager', alert(), 2);
    await deliver('pager', alert({ kind: 'resolved', resolvedAt: '2026-11-30T09:00:00.000Z' }), 1);
    const keys = target
      .calls('/hooks/pager')
      .slice(before)
      .map((c) => c.headers['idempotency-key']);
    expect(keys).toEqual([`${alert().id}:firing:pager`, `${alert().id}:firing:pager`, `${alert().id}:resolved:pager`]);
  });

  test('without a signing secret the generic webhook is sent unsigned', async () => {
    target.answer('/hooks/pager', [{ status: 200 }]);
    await deliver('pager', alert(), 1, { signed: false });
    expect(target.calls('/hooks/pager').at(-1)!.headers['x-scheduler-signature']).toBeUndefined();
  });

  test('Slack gets its own message format, unsigned', async () => {
    target.answer('/services/T0/B0/secret-part', [{ status: 200, body: 'ok' }]);
    expect(await deliver('ops-slack')).toMatchObject({ status: 'delivered', httpStatus: 200 });
    const received = target.calls('/services/T0/B0/secret-part').at(-1)!;
    expect(received.json).toEqual(slackMessage(alert(), linker));
    expect(slackMessageProblems(received.json)).toEqual([]);
    expect(received.headers['x-scheduler-signature']).toBeUndefined();
    expect(received.headers['idempotency-key']).toBe(`${alert().id}:firing:ops-slack`);
  });

  test.each([408, 425, 429, 500, 503])('%i is retryable', async (status) => {
    target.answer('/hooks/pager', [{ status, body: 'busy' }]);
    const failure = await failureOf(deliver('pager'));
    expect(failure).toMatchObject({ type: 'HttpRetryableError', nonRetryable: false });
    expect(failure.message).toBe(`alert destination pager answered HTTP ${status}: busy`);
  });

  test('Retry-After sets the next delay, capped at 10 minutes', async () => {
    target.answer('/hooks/pager', [{ status: 429, headers: { 'retry-after': '7' } }]);
    expect((await failureOf(deliver('pager'))).nextRetryDelay).toBe(7000);
    target.answer('/hooks/pager', [{ status: 503, headers: { 'retry-after': '86400' } }]);
    expect((await failureOf(deliver('pager'))).nextRetryDelay).toBe(600_000);
  });

  test.each([400, 403, 404, 410, 301])('%i is a refusal: not retried', async (status) => {
    target.answer('/services/T0/B0/secret-part', [{ status, body: 'invalid_blocks' }]);
    const failure = await failureOf(deliver('ops-slack'));
    expect(failure).toMatchObject({ type: 'HttpClientError', nonRetryable: true });
    expect(failure.message).toBe(`alert destination ops-slack answered HTTP ${status}: invalid_blocks`);
  });

  test("a destination that is down fails the attempt, retryably, without naming the URL's secret path", async () => {
    const down = { name: 'gone', kind: 'slack' as const, url: 'http://127.0.0.1:9/services/T0/B0/secret-part' };
    const env = new MockActivityEnvironment({}, quiet);
    const failure = await failureOf(env.run(activities([down]).deliverAlert, { alert: alert(), destination: 'gone' }));
    expect(failure).toMatchObject({ type: 'HttpNetworkError', nonRetryable: false });
    expect(failure.message).toMatch(/^alert destination gone failed: /);
    expect(failure.message).not.toContain('secret-part');
  });

  test('a destination slower than the timeout fails the attempt, retryably', async () => {
    target.answer('/hooks/pager', [{ status: 200, delayMs: 1500 }]);
    const failure = await failureOf(deliver('pager', alert(), 1, { timeoutMs: 200 }));
    expect(failure).toMatchObject({ type: 'HttpTimeoutError', nonRetryable: false });
  });

  test('a receiver that was down gets the alert once it is back, under the same key', async () => {
    target.answer('/hooks/pager', [{ status: 200 }]);
    const before = target.calls('/hooks/pager').length;
    await target.down();
    try {
      expect(await failureOf(deliver('pager', alert(), 1))).toMatchObject({ type: 'HttpNetworkError' });
    } finally {
      await target.up();
    }
    clock.now += 30 * 60_000;
    expect(await deliver('pager', alert(), 2)).toMatchObject({ status: 'delivered', attempt: 2 });
    const received = target.calls('/hooks/pager').slice(before);
    expect(received.map((c) => c.headers['idempotency-key'])).toEqual([`${alert().id}:firing:pager`]);
  });

  test('an alert older than the maximum age is not sent: undeliverable, so the retries end', async () => {
    const before = target.calls().length;
    clock.now = Date.parse(openedAt) + 24 * 3_600_000 + 1;
    expect(await deliver('pager')).toEqual<AlertDelivery>({
      status: 'undeliverable',
      destination: 'pager',
      idempotencyKey: `${alert().id}:firing:pager`,
      reason: 'expired',
      message: 'not delivered to pager within 24 h (SCHEDULER_ALERT_MAX_AGE_HOURS)',
    });
    // a resolution counts from when it resolved
    const resolved = alert({ kind: 'resolved', resolvedAt: new Date(clock.now - 60_000).toISOString() });
    target.answer('/hooks/pager', [{ status: 200 }]);
    expect(await deliver('pager', resolved)).toMatchObject({ status: 'delivered' });
    expect(target.calls().length).toBe(before + 1);
  });

  test('a destination not configured is undeliverable; the configured names are listed in order', async () => {
    expect(await deliver('nowhere')).toMatchObject({ status: 'undeliverable', reason: 'unknown_destination' });
    expect(await activities().listAlertDestinations()).toEqual(['pager', 'ops-slack']);
    const none = alertActivities({ fetch: globalThis.fetch });
    expect(await none.listAlertDestinations()).toEqual([]);
    const env = new MockActivityEnvironment({}, quiet);
    expect(await env.run(none.deliverAlert, { alert: alert(), destination: 'pager' })).toMatchObject({
      status: 'undeliverable',
      reason: 'unknown_destination',
    });
  });
});
