import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleOptions } from '@temporalio/client';
import { loadConfig } from '../config/config';
import { runBudgetSeconds } from '../jobs/alert-rules';
import { DEFAULT_RETRY } from '../jobs/job';
import { createMemoryStore } from '../store/memory';
import { createTemporalLinks } from '../temporal/links';
import { buildApp } from './app';
import { createAuthenticator } from './identity';
import { DEFAULT_PRESSURE } from './plugins/load-shedding';
import type { JobDetailView, JobView } from './schemas/jobs';
import { createAlertUseCases } from './use-cases/alerts';
import type { UseCaseContext } from './use-cases/context';
import { createExecutionUseCases } from './use-cases/executions';
import { createJobUseCases } from './use-cases/jobs';

/**
 * A job's alert rules through the real routes and use cases: registered, shown in its view, changed by registering
 * again, refused with a 400 naming the field. Temporal is a fake that keeps schedules as created and updated.
 */
describe('alert rules in the registration and the job view', () => {
  const config = loadConfig({
    EMAIL_SERVICE_URL: 'http://email-service:7006',
    SCHEDULER_ALERT_WEBHOOKS: 'ops-slack=https://hooks.slack.com/services/T/B/X,pager=https://pager.example/hook',
    SCHEDULER_ALERT_CONSECUTIVE_FAILURES: '4',
  });

  /** Schedules as Temporal would keep them, enough for registration: create, describe, update, list. */
  function fakeTemporal() {
    const schedules = new Map<string, Record<string, unknown>>();
    const describe = (id: string) => {
      const schedule = schedules.get(id);
      if (!schedule) throw new ScheduleNotFoundError('not found', id);
      return structuredClone(schedule);
    };
    const info = {
      createdAt: new Date(),
      nextActionTimes: [],
      numActionsSkippedOverlap: 0,
      numActionsMissedCatchupWindow: 0,
    };
    const client = {
      schedule: {
        create: async (options: ScheduleOptions) => {
          if (schedules.has(options.scheduleId)) throw new ScheduleAlreadyRunning('exists', options.scheduleId);
          const { scheduleId, spec, action, policies, state } = options;
          schedules.set(scheduleId, { scheduleId, spec, action, policies, state: { paused: false, ...state }, info });
        },
        getHandle: (id: string) => ({
          describe: async () => describe(id),
          update: async (fn: (prev: Record<string, unknown>) => Record<string, unknown>) => {
            schedules.set(id, { ...fn(describe(id)), info: { ...info, lastUpdatedAt: new Date() } });
          },
        }),
        list: async function* () {
          return;
        },
      },
    };
    return client as unknown as Client;
  }

  const app = () => {
    const ctx: UseCaseContext = {
      client: fakeTemporal(),
      store: createMemoryStore(),
      services: config.services,
      taskQueue: 'scheduler',
      links: createTemporalLinks('http://localhost:8233', 'default'),
      alerts: config.alerts,
      consoleUrl: config.alerts.consoleUrl,
      startRate: 30,
      times: { refreshIfStale: () => undefined } as unknown as UseCaseContext['times'],
    };
    return buildApp(
      {
        jobs: createJobUseCases(ctx),
        executions: createExecutionUseCases(ctx),
        alerts: createAlertUseCases(ctx),
        authenticate: createAuthenticator(config.identity),
        reconcile: async () => ({ workflowId: 'unused', report: null }),
        rateLimitPerMinute: 0,
        // a busy test machine must not shed these requests: load shedding is not what is tested here
        pressure: { ...DEFAULT_PRESSURE, maxEventLoopDelayMs: 0 },
        checks: { temporal: async () => undefined, store: async () => undefined },
      },
      { logger: false },
    );
  };

  const digest = {
    name: 'weekly-digest',
    service: 'email-service',
    endpoint: '/api/jobs/weekly-digest',
    cron: '@daily',
  };
  const TWO_DAYS_AND_A_RUN = 2 * 86_400 + runBudgetSeconds({ timeoutSeconds: 300, retry: DEFAULT_RETRY });

  test('registered, shown in effect, changed by registering again, unchanged when repeated', async () => {
    const api = app();
    const register = async (alerts?: object) => {
      const res = await api.inject({ method: 'POST', url: '/api/jobs/register', payload: { ...digest, alerts } });
      return { status: res.statusCode, body: res.json<{ status: string; job: JobView }>() };
    };
    const view = async () =>
      (await api.inject({ method: 'GET', url: '/api/jobs/weekly-digest' })).json<{ job: JobDetailView }>().job;

    const created = await register({ consecutiveFailures: 5, onSkipped: true, destinations: ['pager'] });
    expect(created.status).toBe(201);
    const rules = {
      onFailure: true,
      consecutiveFailures: 5,
      noSuccessWithinSeconds: TWO_DAYS_AND_A_RUN,
      noSuccessWithinDerived: true,
      runningLongerThanSeconds: null,
      onSkipped: true,
      onMissed: true,
      dampingSeconds: 600,
      destinations: ['pager'],
    };
    expect(created.body.job.alerts).toEqual(rules);
    expect((await view()).alerts).toEqual(rules);

    expect(await register({ onSkipped: true, destinations: ['pager'], consecutiveFailures: 5 })).toMatchObject({
      status: 200,
      body: { status: 'unchanged' },
    });

    const changed = await register({ consecutiveFailures: null, noSuccessWithinSeconds: 7200 });
    expect(changed.body).toMatchObject({ status: 'updated' });
    expect((await view()).alerts).toEqual({
      ...rules,
      consecutiveFailures: null,
      noSuccessWithinSeconds: 7200,
      noSuccessWithinDerived: false,
      onSkipped: false,
      destinations: ['ops-slack', 'pager'],
    });

    // no rules at all: the configured defaults (SCHEDULER_ALERT_CONSECUTIVE_FAILURES=4), every destination
    expect((await register()).body.status).toBe('updated');
    expect((await view()).alerts).toEqual({
      ...rules,
      consecutiveFailures: 4,
      onSkipped: false,
      destinations: ['ops-slack', 'pager'],
    });
    expect((await register({})).body.status).toBe('unchanged');
  });

  test.each([
    [{ consecutiveFailures: 1 }, 'alerts.consecutiveFailures'],
    [{ consecutiveFailures: 2.5 }, 'alerts.consecutiveFailures'],
    [{ noSuccessWithinSeconds: 'soon' }, 'alerts.noSuccessWithinSeconds'],
    [{ noSuccessWithinSeconds: 30 }, 'alerts.noSuccessWithinSeconds'],
    [{ runningLongerThanSeconds: 'auto' }, 'alerts.runningLongerThanSeconds'],
    [{ onFailure: 'yes' }, 'alerts.onFailure'],
    [{ onMissed: null }, 'alerts.onMissed'],
    [{ destinations: ['email-team'] }, 'alerts.destinations'],
    [{ destinations: ['pager', 'pager'] }, 'alerts.destinations'],
    [{ destinations: 'pager' }, 'alerts.destinations'],
    [{ damping: 60 }, 'alerts.damping'],
  ])('%j is a 400 naming %s', async (alerts, field) => {
    const res = await app().inject({ method: 'POST', url: '/api/jobs/register', payload: { ...digest, alerts } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { field, message: expect.stringMatching(new RegExp(`^${field}: `)) } });
  });

  test('a declared set takes rules like any field, and names the job of a bad one', async () => {
    const api = app();
    const put = (alerts: object) =>
      api.inject({
        method: 'PUT',
        url: '/api/services/email-service/jobs',
        payload: { jobs: [{ ...digest, alerts }] },
      });
    expect((await put({ onFailure: false })).statusCode).toBe(200);
    const job = (await api.inject({ method: 'GET', url: '/api/jobs/weekly-digest' })).json<{ job: JobView }>().job;
    expect(job.alerts.onFailure).toBe(false);
    const bad = await put({ destinations: ['nowhere'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { field: 'jobs.0.alerts.destinations' } });
  });
});
