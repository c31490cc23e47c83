import type { Client } from '@temporalio/client';
import type { Static } from '@sinclair/typebox';
import { loadConfig } from '../config/config';
import type { AlertRecord } from '../jobs/alert';
import { startedExecution, type ExecutionRecord, type ExecutionStatus } from '../jobs/execution';
import type { JobRegistration } from '../jobs/job';
import { spreadOffsetOf } from '../jobs/spread';
import { normalizeJob } from '../jobs/validate';
import { NO_TIMES, type JobStore } from '../store/job-store';
import { createMemoryStore } from '../store/memory';
import { createTemporalLinks } from '../temporal/links';
import { buildApp } from './app';
import { createAuthenticator } from './identity';
import type { ExecutionView } from './schemas/executions';
import type { JobDetailView, JobView } from './schemas/jobs';
import type { AlertPageSchema } from './schemas/alerts';
import type { FleetFiresSchema } from './schemas/fleet';
import type { UseCaseContext } from './use-cases/context';
import { createAlertUseCases } from './use-cases/alerts';
import { createExecutionUseCases } from './use-cases/executions';
import { createJobUseCases } from './use-cases/jobs';

/**
 * The reads an admin console makes, through the real routes and use cases over the memory store: reads answer from
 * the mirror alone, so Temporal is never asked (its client here throws on any use).
 */
type AlertPage = Static<typeof AlertPageSchema>;

describe("the console's reads", () => {
  let store: JobStore;
  const at = (n: number) => new Date(Date.UTC(2026, 10, 26, 12, 0, 0) + n * 1000).toISOString();
  const services = new Map([['email-service', 'http://email-service:7006']]);
  const noTemporal = new Proxy({} as Client, {
    get: () => {
      throw new Error('Temporal was asked');
    },
  });

  const app = () => {
    const ctx: UseCaseContext = {
      client: noTemporal,
      store,
      services,
      taskQueue: 'scheduler',
      links: createTemporalLinks('http://localhost:8233', 'default'),
      consoleUrl: 'https://ops.example/scheduler/admin/',
      alerts: loadConfig({}).alerts,
      startRate: 30,
      times: { refreshIfStale: () => undefined } as unknown as UseCaseContext['times'],
    };
    return buildApp(
      {
        jobs: createJobUseCases(ctx),
        executions: createExecutionUseCases(ctx),
        alerts: createAlertUseCases(ctx),
        authenticate: createAuthenticator(loadConfig({}).identity),
        reconcile: async () => ({ workflowId: 'unused', report: null }),
        rateLimitPerMinute: loadConfig({}).rateLimitPerMinute,
        checks: { temporal: async () => undefined, store: async () => undefined },
      },
      { logger: false },
    );
  };
  const get = async <T>(url: string) => {
    const res = await app().inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.json() as T };
  };

  const addJob = (name: string, more: Partial<JobRegistration> = {}, paused = false) =>
    store.upsertJob({
      definition: normalizeJob({ name, service: 'email-service', endpoint: '/x', cron: '@daily', ...more }, services),
      paused,
      pauseNote: null,
      scheduleNote: null,
      times: NO_TIMES,
      createdAt: at(0),
      updatedAt: at(0),
      scheduleUpdatedAt: null,
    });
  const run = (id: string, jobName: string, n: number, status: ExecutionStatus, retryOf: string | null = null) => {
    const started = startedExecution({
      id,
      jobName,
      service: 'email-service',
      trigger: retryOf ? 'retry' : 'schedule',
      triggeredBy: null,
      retryOf,
      scheduledAt: null,
      startedAt: at(n),
      runId: null,
    });
    const ended: ExecutionRecord = { ...started, status, completedAt: at(n + 1), durationMs: 1000 * (n + 1) };
    return status === 'running' ? started : ended;
  };

  beforeEach(async () => {
    store = createMemoryStore();
    for (const name of ['billing-sync', 'email-digest', 'email-reminder']) await addJob(name);
    for (const e of [
      run('d1', 'email-digest', 1, 'succeeded'),
      run('d2', 'email-digest', 3, 'failed'),
      run('d3', 'email-digest', 5, 'timed_out'),
      run('d4', 'email-digest', 7, 'succeeded', 'd2'),
      run('d5', 'email-digest', 9, 'running', 'd2'),
      run('r1', 'email-reminder', 1, 'succeeded'),
      run('b1', 'billing-sync', 1, 'cancelled'),
    ]) {
      await store.recordExecution(e);
    }
  });

  test('a job shows its last success and failure, its streak, its durations and its newest runs', async () => {
    const { status, body } = await get<{ job: JobView }>('/api/jobs/email-digest');
    expect(status).toBe(200);
    expect(body.job).toMatchObject({
      lastSuccessAt: at(8),
      lastFailureAt: at(6),
      consecutiveFailures: 0,
      durations: { p50Ms: 4000, p95Ms: 8000 },
      recentRuns: [
        { id: 'd5', status: 'running', startedAt: at(9) },
        { id: 'd4', status: 'succeeded', startedAt: at(7) },
        { id: 'd3', status: 'timed_out', startedAt: at(5) },
        { id: 'd2', status: 'failed', startedAt: at(3) },
        { id: 'd1', status: 'succeeded', startedAt: at(1) },
      ],
    });
  });

  const episode = (id: string, jobName: string, n: number, overrides: Partial<AlertRecord> = {}): AlertRecord => ({
    id,
    jobName,
    service: 'email-service',
    rule: { type: 'consecutive_failures', count: 3 },
    state: 'open',
    summary: `${jobName}: 3 failed runs in a row`,
    openedAt: at(n),
    resolvedAt: null,
    runs: [],
    deliveries: [{ destination: 'ops', kind: 'firing', status: 'delivered', at: at(n), detail: '200' }],
    updatedAt: at(n),
    ...overrides,
  });

  test("a job's view shows its open alerts, newest first, in words, with the job's links", async () => {
    await store.recordAlert(episode('a1', 'email-digest', 10));
    await store.recordAlert(episode('a2', 'email-digest', 20, { rule: { type: 'no_success_within', seconds: 7200 } }));
    await store.recordAlert(
      episode('a3', 'email-digest', 5, { state: 'resolved', resolvedAt: at(8), updatedAt: at(8) }),
    );
    await store.recordAlert(episode('b1', 'billing-sync', 30));
    const { body } = await get<{ job: JobDetailView }>('/api/jobs/email-digest');
    expect(body.job.openAlerts.map((a) => [a.id, a.ruleText])).toEqual([
      ['a2', 'no success within 2 hours'],
      ['a1', '3 failed runs in a row'],
    ]);
    expect(body.job.openAlerts[0]).toMatchObject({
      state: 'open',
      openedAt: at(20),
      deliveries: [{ destination: 'ops', kind: 'firing', status: 'delivered', at: at(20), detail: '200' }],
      links: {
        console: 'https://ops.example/scheduler/admin/#/jobs/email-digest',
        temporalWeb: 'http://localhost:8233/namespaces/default/schedules/job-email-digest',
      },
    });
    expect((await get<{ job: JobDetailView }>('/api/jobs/email-reminder')).body.job.openAlerts).toEqual([]);
  });

  test('GET /api/alerts lists episodes newest opened first, by state, job and service, a page at a time', async () => {
    for (let i = 0; i < 5; i++) {
      const resolved = i % 2 === 1 ? { state: 'resolved' as const, resolvedAt: at(50 + i), updatedAt: at(50 + i) } : {};
      await store.recordAlert(episode(`e${i}`, i < 3 ? 'email-digest' : 'billing-sync', 10 * i, resolved));
    }
    const page = async (query: string) => (await get<AlertPage>(`/api/alerts${query}`)).body;
    const ids = async (query: string) => (await page(query)).alerts.map((a) => a.id);
    expect(await ids('')).toEqual(['e4', 'e3', 'e2', 'e1', 'e0']);
    expect(await ids('?state=open')).toEqual(['e4', 'e2', 'e0']);
    expect(await ids('?state=resolved&job=email-digest')).toEqual(['e1']);
    expect(await ids('?service=email-service&job=billing-sync')).toEqual(['e4', 'e3']);
    expect(await ids('?service=crawler-service')).toEqual([]);

    const first = await page('?limit=2');
    expect(first.alerts.map((a) => a.id)).toEqual(['e4', 'e3']);
    const second = await page(`?limit=2&before=${first.nextCursor}`);
    expect(second.alerts.map((a) => a.id)).toEqual(['e2', 'e1']);
    const last = await page(`?limit=2&before=${second.nextCursor}`);
    expect(last).toMatchObject({ alerts: [{ id: 'e0', ruleText: '3 failed runs in a row' }], nextCursor: null });
  });

  test('GET /api/alerts refuses a bad state, limit or cursor and an unknown field, naming it', async () => {
    for (const [query, field] of [
      ['state=closed', 'state'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['before=not-a-cursor', 'before'],
      ['severity=high', 'severity'],
    ]) {
      const { status, body } = await get<{ error: { code: string; field: string } }>(`/api/alerts?${query}`);
      expect({ query, status, code: body.error.code, field: body.error.field }).toEqual({
        query,
        status: 400,
        code: 'invalid_request',
        field,
      });
    }
  });

  test('GET /api/jobs finds jobs by a part of the name, ignoring case, and by failing', async () => {
    const names = async (query: string) =>
      (await get<{ jobs: JobView[] }>(`/api/jobs?${query}`)).body.jobs.map((j) => j.name);
    expect(await names('q=EMAIL')).toEqual(['email-digest', 'email-reminder']);
    expect(await names('q=mail&limit=1&after=email-digest')).toEqual(['email-reminder']);
    expect(await names('failing=true')).toEqual(['billing-sync']);
    expect(await names('failing=false')).toEqual(['email-digest', 'email-reminder']);
    expect(await names('q=email&failing=false&service=email-service&paused=false')).toEqual([
      'email-digest',
      'email-reminder',
    ]);
    expect(await names('q=sync&failing=false')).toEqual([]);
    expect(await names(`q=${'e'.repeat(200)}`)).toEqual([]);
  });

  test('GET /api/jobs refuses a q longer than 200 characters and a failing that is not a boolean, naming them', async () => {
    expect(await get(`/api/jobs?q=${'e'.repeat(201)}`)).toEqual({
      status: 400,
      body: { error: expect.objectContaining({ code: 'invalid_request', field: 'q' }) },
    });
    expect(await get('/api/jobs?failing=maybe')).toEqual({
      status: 400,
      body: { error: expect.objectContaining({ code: 'invalid_request', field: 'failing' }) },
    });
  });

  test('the run lists take one status or a comma-separated list of them', async () => {
    const ids = async (url: string) =>
      (await get<{ executions: ExecutionView[] }>(url)).body.executions.map((e) => e.id);
    const unsuccessful = 'status=failed,timed_out,cancelled,terminated';
    expect(await ids(`/api/executions?${unsuccessful}`)).toEqual(['d3', 'd2', 'b1']);
    expect(await ids(`/api/jobs/email-digest/executions?${unsuccessful}`)).toEqual(['d3', 'd2']);
    expect(await ids('/api/executions?status=running')).toEqual(['d5']);
    expect(await ids('/api/executions?status=succeeded,running&job=email-digest&limit=2')).toEqual(['d5', 'd4']);
  });

  test('an unknown status, alone or in a list, is a 400 naming status', async () => {
    for (const url of [
      '/api/executions?status=failed,done',
      '/api/executions?status=',
      '/api/jobs/email-digest/executions?status=FAILED',
    ]) {
      const { status, body } = await get<{ error: { code: string; field: string; message: string } }>(url);
      expect({ url, status, ...body.error }).toEqual({
        url,
        status: 400,
        code: 'invalid_request',
        field: 'status',
        message: expect.stringContaining('status: must be one of running, succeeded'),
      });
    }
  });

  test('a run shows the runs that retried it, oldest first, on its own and in every list', async () => {
    const retriedBy = [
      { id: 'd4', status: 'succeeded' },
      { id: 'd5', status: 'running' },
    ];
    expect((await get<{ execution: ExecutionView }>('/api/executions/d2')).body.execution.retriedBy).toEqual(retriedBy);
    for (const url of ['/api/executions?job=email-digest', '/api/jobs/email-digest/executions']) {
      const listed = (await get<{ executions: ExecutionView[] }>(url)).body.executions;
      expect(Object.fromEntries(listed.map((e) => [e.id, e.retriedBy]))).toEqual({
        d5: [],
        d4: [],
        d3: [],
        d2: retriedBy,
        d1: [],
      });
    }
  });

  test('identical job lists within a second share one answer, and any write through the API ends the sharing', async () => {
    const shared = app(); // one process: its reads share
    const names = async () =>
      (await shared.inject({ method: 'GET', url: '/api/jobs?limit=50' }))
        .json<{ jobs: JobView[] }>()
        .jobs.map((j) => j.name);
    const before = await names();
    await addJob('new-behind-the-api'); // as a mirror write of another process lands
    expect(await names()).toEqual(before); // a second of polling consoles costs one page
    // a write through the API (any method but GET, even one refused) is answered only after the sharing ends
    await shared.inject({ method: 'POST', url: '/api/reconcile' });
    expect(await names()).toContain('new-behind-the-api');
  });

  test('a page of runs asks the store for their retries once', async () => {
    let asked = 0;
    const listRetriesOf = store.listRetriesOf.bind(store);
    store.listRetriesOf = async (ids) => {
      asked++;
      return listRetriesOf(ids);
    };
    await get('/api/executions?limit=200');
    expect(asked).toBe(1);
  });

  describe('the fleet view: how many jobs fire in each second, herds flagged', () => {
    type Fleet = Static<typeof FleetFiresSchema>;
    const hour = '2026-11-27T00:00:00.000Z';

    test('only jobs that will run count; a second past the start rate (30) is a herd, with its first 20 names', async () => {
      const herd = Array.from({ length: 32 }, (_, i) => `herd-${String(i).padStart(2, '0')}`);
      for (const name of herd) await addJob(name, { cron: '0 * * * *' });
      await addJob('paused-by-admin', { cron: '0 * * * *' }, true);
      await addJob('disabled-by-service', { cron: '0 * * * *', enabled: false });
      await addJob('spread-out', { cron: '0 * * * *', spreadSeconds: 59 });
      const { status, body } = await get<Fleet>(`/api/fleet/fires?from=${hour}`);
      expect(status).toBe(200);
      const offset = spreadOffsetOf('spread-out', 59);
      expect(body).toMatchObject({
        from: hour,
        to: '2026-11-27T01:00:00.000Z',
        startRate: 30,
        jobs: 3 + 32 + 1,
        totalFires: 36,
        seconds: [
          { at: hour, count: 35 },
          { at: new Date(Date.parse(hour) + offset * 1000).toISOString(), count: 1 },
        ],
        herds: [{ at: hour, count: 35, expectedDelaySeconds: 1.2, more: 15 }],
      });
      // in name order: the three @daily jobs first
      expect(body.herds[0]!.jobs).toEqual(['billing-sync', 'email-digest', 'email-reminder', ...herd.slice(0, 17)]);
      const { body: spreadView } = await get<{ job: JobView }>('/api/jobs/spread-out');
      expect(spreadView.job).toMatchObject({ spreadSeconds: 59, spreadOffsetSeconds: offset });
      expect(spreadView.job.schedule).toContain(`${offset} s after each time`);
    });

    test('a window of 60 to 3600 seconds from a valid instant; anything else is a 400 naming the field', async () => {
      for (const [query, field] of [
        ['seconds=59', 'seconds'],
        ['seconds=3601', 'seconds'],
        ['seconds=ten', 'seconds'],
        ['from=yesterday', 'from'],
      ] as const) {
        const { status, body } = await get<{ error: { field: string } }>(`/api/fleet/fires?${query}`);
        expect({ query, status, field: body.error.field }).toEqual({ query, status: 400, field });
      }
      const { body } = await get<Fleet>(`/api/fleet/fires?from=${hour}&seconds=60`);
      expect(body).toMatchObject({ to: '2026-11-27T00:01:00.000Z', totalFires: 3 });
    });
  });
});
