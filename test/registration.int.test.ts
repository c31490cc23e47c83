import { ScheduleNotFoundError } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { scheduleIdOf } from '../jobs/ids';
import type { JobView } from '../api/schemas/jobs';
import { apiClient, uniqueName } from './support/api';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { eventually } from './support/target';
import { WorkflowType } from '../jobs/workflow-types';
import { definitionOfAction } from '../temporal/schedule-options';
import { setTimeout as sleep } from 'node:timers/promises';

/** Registration against real Temporal: what is refused creates nothing; what is accepted is idempotent. */
describe('registration', () => {
  let scheduler: TestScheduler;
  let api: ReturnType<typeof apiClient>;
  const created: string[] = [];
  const job = (overrides: Record<string, unknown> = {}) => {
    const name = uniqueName('reg');
    created.push(name);
    return { name, service: 'email-service', endpoint: '/api/jobs/digest', cron: '0 9 * * MON', ...overrides };
  };
  const scheduleExists = async (name: string) => {
    try {
      await scheduler.client.schedule.getHandle(scheduleIdOf(name)).describe();
      return true;
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return false;
      throw err;
    }
  };

  beforeAll(async () => {
    scheduler = await startTestScheduler({
      EMAIL_SERVICE_URL: 'http://127.0.0.1:9',
      CRAWLER_SERVICE_URL: 'http://127.0.0.1:9',
      SCHEDULER_ALERT_WEBHOOKS: 'ops-slack=http://127.0.0.1:9/slack,pager=http://127.0.0.1:9/pager',
    });
    api = apiClient(scheduler.url);
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, created);
    await scheduler.stop();
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['a name with capitals', { name: 'Weekly_Digest' }, 'name'],
    ['a name too long', { name: `a${'b'.repeat(63)}` }, 'name'],
    ['an unknown service', { service: 'billing-service' }, 'service'],
    ['an absolute URL as endpoint', { endpoint: 'http://evil.example/steal' }, 'endpoint'],
    ['a protocol-relative endpoint', { endpoint: '//evil.example/steal' }, 'endpoint'],
    ['.. in the endpoint', { endpoint: '/api/../admin' }, 'endpoint'],
    ['encoded .. in the endpoint', { endpoint: '/api/%2e%2e/admin' }, 'endpoint'],
    ['a backslash in the endpoint', { endpoint: '/api\\admin' }, 'endpoint'],
    ['a control character in the endpoint', { endpoint: '/api/\u0007' }, 'endpoint'],
    ['an endpoint over 512 characters', { endpoint: `/${'a'.repeat(512)}` }, 'endpoint'],
    ['a cron with too few fields', { cron: '* * *' }, 'cron'],
    ['a cron Temporal rejects (minute 61)', { cron: '61 * * * *' }, 'cron'],
    ['a cron Temporal rejects (bad month name)', { cron: '0 9 * FOO *' }, 'cron'],
    ['an unknown shorthand', { cron: '@fortnightly' }, 'cron'],
    ['an unknown timezone', { timezone: 'Mars/Olympus' }, 'timezone'],
    ['an oversized payload', { payload: { blob: 'x'.repeat(64 * 1024) } }, 'payload'],
    ['a payload that is not an object', { payload: [1, 2] }, 'payload'],
    ['an unknown field', { colour: 'blue' }, 'colour'],
    ['an unknown retry field', { retry: { maxAttempts: 3, jitter: true } }, 'retry.jitter'],
    ['too many attempts', { retry: { maxAttempts: 21 } }, 'retry.maxAttempts'],
    ['a timeout over an hour', { timeoutSeconds: 3601 }, 'timeoutSeconds'],
    ['a catch-up window under 10 s', { catchupWindowSeconds: 5 }, 'catchupWindowSeconds'],
    ['an unknown overlap policy', { overlap: 'queue' }, 'overlap'],
    ['an unknown method', { method: 'DELETE' }, 'method'],
    ['a missing cron', { cron: undefined }, 'cron'],
    ['enabled given as null (never coerced)', { enabled: null }, 'enabled'],
    ['a number as name (never coerced)', { name: 123 }, 'name'],
    ['a NUL character in the payload', { payload: { note: 'a\u0000b' } }, 'payload'],
    ['a GET payload too big for a header', { method: 'GET', payload: { blob: 'x'.repeat(5000) } }, 'payload'],
    ['a streak of one', { alerts: { consecutiveFailures: 1 } }, 'alerts.consecutiveFailures'],
    ['a dead-man in words', { alerts: { noSuccessWithinSeconds: '2d' } }, 'alerts.noSuccessWithinSeconds'],
    ['an alert destination not configured', { alerts: { destinations: ['email'] } }, 'alerts.destinations'],
    ['an unknown alert rule', { alerts: { onPaused: true } }, 'alerts.onPaused'],
    ['a completion timeout on a job that is not async', { completionTimeoutSeconds: 600 }, 'completionTimeoutSeconds'],
    ['a heartbeat timeout on a job that is not async', { heartbeatTimeoutSeconds: 60 }, 'heartbeatTimeoutSeconds'],
    ['a completion timeout over 7 days', { async: true, completionTimeoutSeconds: 604801 }, 'completionTimeoutSeconds'],
    ['a heartbeat timeout under 10 s', { async: true, heartbeatTimeoutSeconds: 5 }, 'heartbeatTimeoutSeconds'],
    [
      'a heartbeat timeout past the completion timeout',
      { async: true, completionTimeoutSeconds: 600, heartbeatTimeoutSeconds: 900 },
      'heartbeatTimeoutSeconds',
    ],
    ['async given as a string (never coerced)', { async: 'yes' }, 'async'],
    ['a spread over 59 s', { spreadSeconds: 60 }, 'spreadSeconds'],
    ['a spread on a cron that names its seconds', { cron: '0 0 9 * * MON', spreadSeconds: 30 }, 'spreadSeconds'],
  ];

  test.each(invalid)('%s is a 400 naming the field, and nothing is created', async (_label, overrides, field) => {
    const body = job(overrides);
    const res = await api.register(body);
    expect(res.status).toBe(400);
    const error = (res.body as unknown as { error: { code: string; message: string; field: string | null } }).error;
    expect(error.field).toBe(field);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
    if (typeof body.name === 'string' && /^[a-z0-9][a-z0-9-]{0,62}$/.test(body.name)) {
      expect(await scheduleExists(body.name)).toBe(false);
      expect((await api.call('GET', `/api/jobs/${body.name}`)).status).toBe(404);
    }
  });

  test("over real HTTP, the router's refusals are ours too: a path parameter too long, or not percent-encoding", async () => {
    // inject() hands the router a URL as given; a real server gets it from Node's parser, so check it here
    const get = async (path: string) => {
      const res = await fetch(`${scheduler.url}${path}`);
      return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as unknown };
    };
    expect(await get(`/api/jobs/${'a'.repeat(501)}/executions`)).toEqual({
      status: 414,
      type: 'application/json; charset=utf-8',
      body: { error: { code: 'uri_too_long', message: 'name: is longer than 500 characters', field: 'name' } },
    });
    expect(await get('/api/executions/%ff%ff%ff')).toEqual({
      status: 400,
      type: 'application/json; charset=utf-8',
      body: {
        error: {
          code: 'invalid_request',
          message: 'id: is not valid percent-encoding (each byte of its UTF-8 as %XX)',
          field: 'id',
        },
      },
    });
    // a name of 201 characters is within the router's limit, so the schema names its rule
    expect(await get(`/api/jobs/${'a'.repeat(201)}`)).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_request', field: 'name', message: expect.stringMatching(/^name: must match/) } },
    });
  });

  test('registering is idempotent: created, then unchanged, then updated only when the definition changes', async () => {
    const body = job({ payload: { a: 1 }, retry: { maxAttempts: 3 } });
    expect((await api.register(body)).body.status).toBe('created');
    const before = await scheduler.client.schedule.getHandle(scheduleIdOf(body.name)).describe();

    // the same definition, spelled with defaults and in another key order, is still unchanged
    const same = { ...body, method: 'POST', timezone: 'UTC', retry: { initialIntervalSeconds: 10, maxAttempts: 3 } };
    const again = await api.register(same);
    expect(again).toMatchObject({ status: 200, body: { status: 'unchanged' } });
    const after = await scheduler.client.schedule.getHandle(scheduleIdOf(body.name)).describe();
    expect(after.info.lastUpdatedAt).toEqual(before.info.lastUpdatedAt);

    const changed = await api.register({ ...body, cron: '0 10 * * MON', timezone: 'Europe/Paris' });
    expect(changed).toMatchObject({ status: 200, body: { status: 'updated', job: { cron: '0 10 * * MON' } } });
    const next = new Date(changed.body.job.nextRunTimes[0]!);
    const paris = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', weekday: 'short' });
    expect(paris.format(next).replace(',', '')).toBe('Mon 10');
  });

  test('alert rules travel in the schedule: shown in effect, changed by registering again, unchanged when repeated', async () => {
    const body = job({ cron: '@daily' });
    const definition = async () =>
      definitionOfAction((await scheduler.client.schedule.getHandle(scheduleIdOf(body.name)).describe()).action);
    const view = async () => (await api.call<{ job: JobView }>('GET', `/api/jobs/${body.name}`)).body.job;

    // no rules: none stored (as on every schedule made before rules existed), the defaults in effect
    expect((await api.register(body)).body.status).toBe('created');
    expect(await definition()).not.toHaveProperty('alerts');
    expect((await view()).alerts).toMatchObject({
      onFailure: true,
      consecutiveFailures: 3,
      noSuccessWithinDerived: true,
      destinations: ['ops-slack', 'pager'],
    });
    expect((await api.register({ ...body, alerts: {} })).body.status).toBe('unchanged');

    const alerts = { consecutiveFailures: null, noSuccessWithinSeconds: 7200, destinations: ['pager'] };
    const changed = await api.register({ ...body, alerts });
    expect(changed).toMatchObject({ status: 200, body: { status: 'updated' } });
    expect((await definition())?.alerts).toEqual(alerts);
    expect((await view()).alerts).toMatchObject({
      onFailure: true,
      consecutiveFailures: null,
      noSuccessWithinSeconds: 7200,
      noSuccessWithinDerived: false,
      destinations: ['pager'],
    });
    expect((await api.register({ ...body, alerts: { ...alerts } })).body.status).toBe('unchanged');
  });

  test("a job's view comes from the mirror: its next run times appear after creation and stay ahead of now", async () => {
    // enabled: a job that will not run shows no next run times (its calls fail: nothing listens on port 9)
    const body = job({ cron: '@every 1s', enabled: true });
    expect((await api.register(body)).status).toBe(201);
    const view = async () => (await api.call<{ job: JobView }>('GET', `/api/jobs/${body.name}`)).body.job;
    // created without a describe; a background refresh brings Temporal's times into the row
    const first = await eventually(view, (j) => j.nextRunTimes.length === 5, 10_000);
    await sleep(2500);
    // two of them have passed: never shown, and the row is refreshed as they pass
    const later = await view();
    expect(later.nextRunTimes.every((t) => Date.parse(t) > Date.now() - 100)).toBe(true);
    const refreshed = await eventually(view, (j) => j.nextRunTimes.length === 5, 10_000);
    expect(Date.parse(refreshed.nextRunTimes[0]!)).toBeGreaterThan(Date.parse(first.nextRunTimes[0]!));
  });

  test('a job name taken by another service is a 409, and the job is untouched', async () => {
    const body = job();
    await api.register(body);
    const res = await api.register({ ...body, service: 'crawler-service', endpoint: '/crawl' });
    expect(res.status).toBe(409);
    const current = await api.call<{ job: { service: string; endpoint: string } }>('GET', `/api/jobs/${body.name}`);
    expect(current.body.job).toMatchObject({ service: 'email-service', endpoint: '/api/jobs/digest' });
  });

  test('enabled: false registers the job stopped (not paused: that is an admin’s); enabled: true starts it', async () => {
    const body = job({ enabled: false });
    const res = await api.register(body);
    expect(res.body.job).toMatchObject({ enabled: false, paused: false, pauseNote: null, nextRunTimes: [] });
    const state = async () => (await scheduler.client.schedule.getHandle(scheduleIdOf(body.name)).describe()).state;
    expect(await state()).toMatchObject({ paused: true });
    const enabled = await api.register({ ...body, enabled: true });
    expect(enabled.body).toMatchObject({ status: 'updated', job: { enabled: true, paused: false, pauseNote: null } });
    expect(enabled.body.job.nextRunTimes.length).toBeGreaterThan(0);
    expect(await state()).toMatchObject({ paused: false });
  });

  test('the schedule carries the job policies and search attributes', async () => {
    const body = job({ overlap: 'buffer_one', catchupWindowSeconds: 600, jitterSeconds: 30, cron: '@every 15m' });
    await api.register(body);
    const schedule = await scheduler.client.schedule.getHandle(scheduleIdOf(body.name)).describe();
    expect(schedule.policies).toMatchObject({ overlap: 'BUFFER_ONE', catchupWindow: 600_000 });
    expect(schedule.spec.jitter).toBe(30_000);
    expect(schedule.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: WorkflowType.runJob,
      workflowId: `job-run-${body.name}`,
    });
    const attributes = schedule.action.type === 'startWorkflow' ? schedule.action.typedSearchAttributes : undefined;
    const pairs = attributes instanceof TypedSearchAttributes ? attributes.getAll() : (attributes ?? []);
    expect(pairs.map((p) => [p.key.name, p.value])).toEqual(
      expect.arrayContaining([
        ['JobName', body.name],
        ['JobService', 'email-service'],
        ['JobTrigger', 'schedule'],
      ]),
    );
  });

  test('unknown jobs are 404 and bad names 400', async () => {
    expect((await api.call('GET', '/api/jobs/no-such-job')).status).toBe(404);
    expect((await api.call('GET', '/api/jobs/Not_A_Name')).status).toBe(400);
    expect((await api.call('POST', '/api/jobs/no-such-job/trigger', {})).status).toBe(404);
    expect((await api.call('GET', '/api/executions/no-such-run')).status).toBe(404);
  });
});
