import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DevServer } from '../devserver/dev-server';
import { createSignatureVerifier } from '../client/verify-signature';
import type { JobView } from '../api/schemas/jobs';
import type { AlertPayload } from '../jobs/alert';
import { scheduleIdOf, startedWorkflowIdOf, watchWorkflowIdOf } from '../jobs/ids';
import { startRun } from '../temporal/runs';
import { definitionOfAction } from '../temporal/schedule-options';
import { apiClient, uniqueName } from './support/api';
import { spawnWorker } from './support/process';
import { startTestTemporal } from './support/stack';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { eventually, startTarget, type ReceivedCall, type Target } from './support/target';

const SECRET = 'alerts-test-secret-0123456789abcdef';

/** Runs `task` `count` times, `width` at a time; answers what each returned, in order. */
async function inBatches<T>(count: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < count; i += width) {
    results.push(...(await Promise.all(Array.from({ length: Math.min(width, count - i) }, (_, j) => task(i + j)))));
  }
  return results;
}

/**
 * Alerts on real parts: a job whose target fails, a real webhook receiver (signed JSON), the watch workflow on the
 * test's Temporal server. One episode per storm, one recovery, the dead-man's switch, a receiver that was down.
 */
describe('alerts', () => {
  let target: Target;
  let receiver: Target;
  let scheduler: TestScheduler;
  let temporal: DevServer;
  const dir = mkdtempSync(path.join(process.env.INTEGRATION_TMP_DIR ?? '/tmp', 'alerts-'));
  const names: string[] = [];
  const api = () => apiClient(scheduler.url);

  beforeAll(async () => {
    // a dev server of its own: the burst's thousand runs would slow every later reconciler pass in the shared one
    temporal = await startTestTemporal({ logFile: path.join(dir, 'temporal.log') });
    target = await startTarget();
    receiver = await startTarget();
    scheduler = await startTestScheduler({
      TEMPORAL_ADDRESS: temporal.address,
      EMAIL_SERVICE_URL: target.url,
      SCHEDULER_SIGNING_SECRET: SECRET,
      SCHEDULER_ALERT_WEBHOOKS: `ops=${receiver.url}/alerts`,
      SCHEDULER_ALERT_DAMPING_SECONDS: '5',
    });
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, names);
    await scheduler.stop();
    await temporal.stop();
    await target.close();
    await receiver.close();
  });

  const register = async (path: string, alerts: Record<string, unknown>, cron = '@every 2s') => {
    const name = uniqueName('alerting');
    names.push(name);
    const body = { name, service: 'email-service', endpoint: path, cron, retry: { maxAttempts: 1 }, alerts };
    const reply = await api().register(body);
    expect(reply.status).toBe(201);
    return name;
  };
  const alertsOf = (name: string): (ReceivedCall & { alert: AlertPayload })[] =>
    receiver
      .calls('/alerts')
      .filter((c) => (c.json as { job?: { name?: string } } | null)?.job?.name === name)
      .map((c) => ({ ...c, alert: c.json as unknown as AlertPayload }));
  const waitForAlerts = (name: string, count: number, timeoutMs = 60_000) =>
    eventually(
      async () => alertsOf(name),
      (calls) => calls.length >= count,
      timeoutMs,
    );

  test('a target that starts failing: exactly one alert reaches the receiver, signed, then exactly one recovery', async () => {
    const path = `/failing-${uniqueName('p')}`;
    target.answer(path, [{ status: 500, body: '{"error":"db down"}' }]);
    const name = await register(path, { onFailure: true, consecutiveFailures: null, noSuccessWithinSeconds: null });
    // ten failed runs or so
    await target.waitForCalls(path, 10, 60_000);
    const [firing] = await waitForAlerts(name, 1);
    expect(alertsOf(name)).toHaveLength(1);
    expect(firing!.alert).toMatchObject({
      kind: 'firing',
      rule: { type: 'run_failed' },
      job: { name, service: 'email-service' },
      runs: [expect.objectContaining({ status: 'failed', httpStatus: 500 })],
    });
    expect(firing!.alert.links.console).toContain(`/admin/#/jobs/${name}`);
    expect(firing!.headers['idempotency-key']).toBe(`${firing!.alert.id}:firing:ops`);
    const verdict = await createSignatureVerifier({ secret: SECRET }).verify({
      signature: String(firing!.headers['x-scheduler-signature']),
      idempotencyKey: String(firing!.headers['idempotency-key']),
      body: firing!.body,
    });
    expect(verdict).toEqual({ ok: true });

    // it heals: one recovery, for the same episode
    target.answer(path, [{ status: 200 }]);
    const [, resolved] = await waitForAlerts(name, 2);
    expect(resolved!.alert).toMatchObject({ kind: 'resolved', id: firing!.alert.id, rule: { type: 'run_failed' } });
    await sleep(10_000); // a storm of successes tells nothing more
    expect(alertsOf(name)).toHaveLength(2);

    // the episode is in the mirror, resolved, with its deliveries
    const listed = await api().call<{ alerts: { id: string; state: string; deliveries: { status: string }[] }[] }>(
      'GET',
      `/api/alerts?job=${name}`,
    );
    expect(listed.body.alerts).toEqual([expect.objectContaining({ id: firing!.alert.id, state: 'resolved' })]);
    expect(listed.body.alerts[0]!.deliveries.map((d) => d.status)).toEqual(['delivered', 'delivered']);
  });

  test('a thousand failures in a burst: one message, not a thousand', async () => {
    const path = `/burst-${uniqueName('p')}`;
    target.answer(path, [{ status: 500 }]);
    const alerts = { onFailure: true, consecutiveFailures: null, noSuccessWithinSeconds: null };
    const name = await register(path, alerts, '0 0 1 1 *'); // runs only when triggered
    // a thousand manual runs, started straight in Temporal (the API would shed such a burst from one caller)
    const { action } = await scheduler.client.schedule.getHandle(scheduleIdOf(name)).describe();
    const job = definitionOfAction(action)!;
    await inBatches(1000, 50, (i) =>
      startRun(scheduler.client, scheduler.taskQueue, {
        job,
        trigger: 'manual',
        triggeredBy: 'burst',
        workflowId: startedWorkflowIdOf(name, 'manual', String(i)),
      }),
    );
    await target.waitForCalls(path, 1000, 240_000);
    // every failed run is mirrored (and so told to the watch), then a little longer for any late message
    await eventually(
      async () => (await api().call<{ job: JobView }>('GET', `/api/jobs/${name}`)).body.job.stats.failedRuns,
      (failed) => failed >= 1000,
      120_000,
    );
    await sleep(5_000);
    expect(alertsOf(name).map((c) => [c.alert.rule.type, c.alert.kind])).toEqual([['run_failed', 'firing']]);
    // the watch continued as new on the way (keeping its open episode: one message), so a worker that has to replay
    // it replays a short history (150 events and what came during its last pass); one run for the whole burst once
    // held ~4,300 events, too long to replay under load
    const watch = await scheduler.client.workflow.getHandle(watchWorkflowIdOf(name)).describe();
    expect(watch.historyLength).toBeLessThan(350);
  }, 420_000); // the waits above bound each step; a thousand runs take 2-5 min on two busy cores

  test('ten failures in a row with a threshold of three: one alert', async () => {
    const path = `/streak-${uniqueName('p')}`;
    target.answer(path, [{ status: 503 }]);
    const name = await register(path, { onFailure: false, consecutiveFailures: 3, noSuccessWithinSeconds: null });
    await target.waitForCalls(path, 10, 60_000);
    await sleep(3_000);
    expect(alertsOf(name).map((c) => [c.alert.rule.type, c.alert.kind])).toEqual([['consecutive_failures', 'firing']]);
    expect(alertsOf(name)[0]!.alert.rule).toEqual({ type: 'consecutive_failures', count: 3 });
  });

  test('a schedule paused in Temporal directly: the dead-man switch fires within its duration and a tolerance', async () => {
    const path = `/quiet-${uniqueName('p')}`;
    const name = await register(path, { onFailure: true, consecutiveFailures: null, noSuccessWithinSeconds: 60 });
    await target.waitForCalls(path, 1);
    await scheduler.client.schedule.getHandle(scheduleIdOf(name)).pause('paused behind the scheduler');
    const pausedAt = Date.now();
    const [alert] = await waitForAlerts(name, 1, 90_000);
    expect(alert!.alert.rule).toEqual({ type: 'no_success_within', seconds: 60 });
    // counted from the last success (before the pause); the documented tolerance is 5 s past the duration
    expect(alert!.at - pausedAt).toBeLessThan(65_000);
  });

  test('the receiver down for a minute: the alert arrives once, after it returns', async () => {
    const path = `/down-${uniqueName('p')}`;
    target.answer(path, [{ status: 500 }]);
    await receiver.down();
    const name = await register(path, { onFailure: true, consecutiveFailures: null, noSuccessWithinSeconds: null });
    await target.waitForCalls(path, 3);
    await sleep(60_000); // down for a minute: the delivery is retried (5 s, then doubling) meanwhile
    await receiver.up();
    const calls = await waitForAlerts(name, 1, 120_000);
    await sleep(5_000);
    expect(alertsOf(name).filter((c) => c.alert.kind === 'firing')).toHaveLength(1);
    expect(calls[0]!.alert.rule).toEqual({ type: 'run_failed' });
  }, 200_000);
});

/**
 * The dead-man's switch when the job worker is stopped: the API's process (SCHEDULER_ROLE=api) runs the alert
 * watches, so a job whose only worker is gone still alerts (docs/alerts.md, "Who runs it").
 */
describe('alerts with the job worker stopped', () => {
  let target: Target;
  let receiver: Target;
  let api: TestScheduler;
  const name = uniqueName('orphan');

  beforeAll(async () => {
    target = await startTarget();
    receiver = await startTarget();
    api = await startTestScheduler({
      SCHEDULER_ROLE: 'api',
      EMAIL_SERVICE_URL: target.url,
      SCHEDULER_ALERT_WEBHOOKS: `ops=${receiver.url}/alerts`,
    });
  });
  afterAll(async () => {
    await deleteSchedules(api.client, [name]);
    await api.stop();
    await target.close();
    await receiver.close();
  });

  test('the dead-man switch fires within its duration and a tolerance of the last success', async () => {
    const worker = spawnWorker(api, { EMAIL_SERVICE_URL: target.url });
    try {
      const alerts = { onFailure: true, consecutiveFailures: null, noSuccessWithinSeconds: 60 };
      const body = { name, service: 'email-service', endpoint: '/orphan', cron: '@every 2s', alerts };
      expect((await apiClient(api.url).register(body)).status).toBe(201);
      await target.waitForCalls('/orphan', 2);
    } finally {
      await worker.stop();
    }
    // the switch counts from the last success the mirror holds
    const { job } = (await apiClient(api.url).call<{ job: JobView }>('GET', `/api/jobs/${name}`)).body;
    const lastSuccess = Date.parse(job.lastSuccessAt!);
    const [alert] = await eventually(
      async () => receiver.calls('/alerts').filter((c) => (c.json as { job?: { name?: string } }).job?.name === name),
      (calls) => calls.length >= 1,
      90_000,
    );
    expect((alert!.json as unknown as AlertPayload).rule).toEqual({ type: 'no_success_within', seconds: 60 });
    expect(alert!.at - lastSuccess).toBeGreaterThanOrEqual(60_000);
    expect(alert!.at - lastSuccess).toBeLessThan(65_000);
  });
});
