import { loadConfig } from '../config/config';
import type { JobView } from './schemas/jobs';
import { normalizeJob } from '../jobs/validate';
import { StoreError } from '../store/job-store';
import { buildApp } from './app';
import type { Pressure } from './plugins/load-shedding';
import type { AlertUseCases } from './use-cases/alerts';
import type { ExecutionUseCases } from './use-cases/executions';
import { createAuthenticator, type Caller } from './identity';
import type { JobUseCases } from './use-cases/jobs';
import { setTimeout as sleep } from 'node:timers/promises';

/** The HTTP layer alone: validation, identity and error mapping, over fakes of our own services. */
describe('the HTTP facade', () => {
  const calls: { method: string; caller?: Caller }[] = [];
  const jobView: JobView = {
    ...normalizeJob(
      { name: 'weekly-digest', service: 'email-service', endpoint: '/x', cron: '@daily' },
      new Map([['email-service', 'http://email-service:7006']]),
    ),
    schedule: 'At 00:00 (UTC)',
    spreadSeconds: 0,
    spreadOffsetSeconds: 0,
    declared: false,
    alerts: {
      onFailure: true,
      consecutiveFailures: 3,
      noSuccessWithinSeconds: 174_450,
      noSuccessWithinDerived: true,
      runningLongerThanSeconds: null,
      onSkipped: false,
      onMissed: true,
      dampingSeconds: 600,
      destinations: [],
    },
    paused: false,
    pauseNote: null,
    nextRunTimes: [],
    lastExecution: null,
    lastSuccessAt: null,
    lastFailureAt: null,
    consecutiveFailures: 0,
    durations: { p50Ms: null, p95Ms: null },
    recentRuns: [],
    stats: {
      totalRuns: 0,
      successfulRuns: 0,
      failedRuns: 0,
      pruned: { totalRuns: 0, successfulRuns: 0, failedRuns: 0 },
      skipped: 0,
      missed: 0,
      dstSkipped: 0,
    },
    createdAt: '2026-11-26T00:00:00.000Z',
    updatedAt: '2026-11-26T00:00:00.000Z',
    temporal: {
      scheduleId: 'job-weekly-digest',
      url: 'http://localhost:8233/namespaces/default/schedules/job-weekly-digest',
    },
  };
  const jobs = {
    register: async (_body, caller) => {
      calls.push({ method: 'register', caller });
      return { status: 'created', job: jobView };
    },
    get: async () => {
      throw new StoreError('get_job', { cause: new Error('connection refused to 10.0.0.7:5432') });
    },
    list: async () => {
      calls.push({ method: 'list' });
      return { jobs: [], nextCursor: null };
    },
    trigger: async () => {
      throw new Error('secret internals');
    },
    forgetReads: () => undefined,
  } as Partial<JobUseCases> as JobUseCases;
  const executions = {
    get: async () => null,
    list: async () => ({ executions: [], nextCursor: null }),
  } as unknown as ExecutionUseCases;
  const alerts: AlertUseCases = {
    list: async () => {
      calls.push({ method: 'alerts' });
      return { alerts: [], nextCursor: null };
    },
  };
  const app = (env: NodeJS.ProcessEnv = {}, storeUp = true, pressure?: Pressure) =>
    buildApp(
      {
        jobs,
        executions,
        alerts,
        authenticate: createAuthenticator(loadConfig(env).identity),
        reconcile: async () => ({ workflowId: 'scheduler-reconcile-manual', report: null }),
        rateLimitPerMinute: loadConfig(env).rateLimitPerMinute,
        pressure,
        checks: {
          temporal: async () => undefined,
          store: async () => {
            if (!storeUp) throw new StoreError('ping');
          },
        },
      },
      { logger: false },
    );
  const body = { name: 'weekly-digest', service: 'email-service', endpoint: '/x', cron: '@daily' };
  const tokens = {
    SCHEDULER_ADMIN_TOKENS: 'alice=admin-token-0123456789',
    SCHEDULER_SERVICE_TOKENS: 'email-service=email-token-0123456789',
    EMAIL_SERVICE_URL: 'http://email-service:7006',
  };

  beforeEach(() => calls.splice(0));

  test('open mode: every caller is the admin "anonymous"', async () => {
    const res = await app().inject({ method: 'POST', url: '/api/jobs/register', payload: body });
    expect(res.statusCode).toBe(201);
    expect(calls).toEqual([{ method: 'register', caller: { kind: 'admin', name: 'anonymous' } }]);
  });

  test('with tokens: no token or an unknown one is 401, a service cannot use admin endpoints', async () => {
    const a = app(tokens);
    expect((await a.inject({ method: 'GET', url: '/api/jobs' })).statusCode).toBe(401);
    const bad = await a.inject({ method: 'GET', url: '/api/jobs', headers: { authorization: 'Bearer wrong' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.json()).toEqual({
      error: { code: 'unauthorized', message: 'Authorization: unknown token', field: null },
    });
    const service = { authorization: 'Bearer email-token-0123456789' };
    expect((await a.inject({ method: 'GET', url: '/api/jobs', headers: service })).statusCode).toBe(403);
    expect(
      (await a.inject({ method: 'POST', url: '/api/jobs/register', headers: service, payload: body })).statusCode,
    ).toBe(201);
    const admin = await a.inject({
      method: 'GET',
      url: '/api/jobs',
      headers: { authorization: 'Bearer admin-token-0123456789' },
    });
    expect(admin.statusCode).toBe(200);
    expect(calls).toEqual([
      { method: 'register', caller: { kind: 'service', name: 'email-service' } },
      { method: 'list' }, // only the admin got through
    ]);
  });

  test("GET /api/identity names the caller: the anonymous admin in open mode, else the token's owner", async () => {
    expect((await app().inject({ method: 'GET', url: '/api/identity' })).json()).toEqual({
      caller: { kind: 'admin', name: 'anonymous' },
    });
    const a = app(tokens);
    expect((await a.inject({ method: 'GET', url: '/api/identity' })).statusCode).toBe(401);
    const as = (token: string) =>
      a.inject({ method: 'GET', url: '/api/identity', headers: { authorization: `Bearer ${token}` } });
    expect((await as('admin-token-0123456789')).json()).toEqual({ caller: { kind: 'admin', name: 'alice' } });
    expect((await as('email-token-0123456789')).json()).toEqual({ caller: { kind: 'service', name: 'email-service' } });
  });

  test('a service lists its own jobs, executions and alerts with ?service=<its name>; another service or none is a 403', async () => {
    const a = app(tokens);
    const headers = { authorization: 'Bearer email-token-0123456789' };
    for (const list of ['/api/jobs', '/api/executions', '/api/alerts']) {
      expect((await a.inject({ method: 'GET', url: `${list}?service=email-service`, headers })).statusCode).toBe(200);
      for (const url of [list, `${list}?service=crawler-service`]) {
        const refused = await a.inject({ method: 'GET', url, headers });
        expect(refused.statusCode).toBe(403);
        expect(refused.json()).toEqual({
          error: {
            code: 'forbidden',
            message: `service: a service lists only its own ${list.slice(5)}: ask with ?service=email-service`,
            field: 'service',
          },
        });
      }
    }
    expect(calls).toEqual([{ method: 'list' }, { method: 'alerts' }]);
  });

  test('health needs no token; ready is 503 while the store is down', async () => {
    const a = app(tokens, false);
    expect((await a.inject({ method: 'GET', url: '/health' })).json()).toEqual({
      status: 'degraded',
      temporal: 'up',
      store: 'down',
    });
    expect((await a.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(503);
  });

  test('a reconcile still running after the wait answers 202 with where to watch it; services may not start one', async () => {
    const res = await app().inject({ method: 'POST', url: '/api/reconcile' });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ workflowId: 'scheduler-reconcile-manual', report: null });
    const service = { authorization: 'Bearer email-token-0123456789' };
    expect((await app(tokens).inject({ method: 'POST', url: '/api/reconcile', headers: service })).statusCode).toBe(
      403,
    );
  });

  test('bodies are never coerced: null and numbers where strings and booleans belong are 400s', async () => {
    for (const [field, value] of [
      ['enabled', null],
      ['enabled', 'false'],
      ['name', 123],
    ] as const) {
      const res = await app().inject({
        method: 'POST',
        url: '/api/jobs/register',
        payload: { ...body, [field]: value },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toMatch(new RegExp(`^${field}: `));
    }
  });

  test('an optional body may be left out entirely, as `curl -X POST` does', async () => {
    const triggered: unknown[] = [];
    const a = buildApp(
      {
        jobs: {
          trigger: async (_name: string, options: unknown) => (triggered.push(options), jobView),
          forgetReads: () => undefined,
        } as unknown as JobUseCases,
        executions,
        alerts,
        authenticate: createAuthenticator(loadConfig({}).identity),
        reconcile: async () => ({ workflowId: 'w', report: null }),
        rateLimitPerMinute: 0,
        checks: { temporal: async () => undefined, store: async () => undefined },
      },
      { logger: false },
    );
    const res = await a.inject({ method: 'POST', url: '/api/jobs/weekly-digest/trigger' });
    expect(res.statusCode).not.toBe(400);
    expect(triggered).toEqual([{}]);
    const bad = await a.inject({ method: 'POST', url: '/api/jobs/weekly-digest/trigger', payload: { payload: 'x' } });
    expect(bad.json().error.message).toBe('payload: must be object');
  });

  test('schema errors name the field', async () => {
    const res = await app().inject({
      method: 'POST',
      url: '/api/jobs/register',
      payload: { ...body, retry: { maxAttempts: 0 } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({
      code: 'invalid_request',
      message: 'retry.maxAttempts: must be >= 1',
      field: 'retry.maxAttempts',
    });
    const limit = await app().inject({ method: 'GET', url: '/api/executions?limit=500' });
    expect(limit.json().error).toMatchObject({ message: 'limit: must be <= 200', field: 'limit' });
  });

  test('a body that is no JSON, or poisons prototypes at any depth, is a 400 saying which', async () => {
    const post = (raw: string) =>
      app().inject({
        method: 'POST',
        url: '/api/jobs/register',
        headers: { 'content-type': 'application/json' },
        payload: raw,
      });
    const job = JSON.stringify(body).slice(0, -1);
    const cases: [string, string][] = [
      ['', 'body: is empty, but content-type says application/json'],
      ['{"name":', 'body: is not valid JSON'],
      [
        `${job},"payload":{"a":[{"__proto__":{"admin":true}}]}}`,
        'body: a "__proto__" key is not allowed anywhere in it',
      ],
      [
        `${job},"payload":{"constructor":{"prototype":{"admin":true}}}}`,
        'body: a "constructor" object with a "prototype" key is not allowed anywhere in it',
      ],
    ];
    for (const [raw, message] of cases) {
      const res = await post(raw);
      expect({ status: res.statusCode, error: res.json().error }).toEqual({
        status: 400,
        error: { code: 'invalid_request', message, field: 'body' },
      });
    }
    // a key merely named constructor is data like any other
    expect((await post(`${job},"payload":{"constructor":"Ada"}}`)).statusCode).toBe(201);
  });

  test('a lone surrogate in any string or key of any body is a 400 naming its path; nothing is called', async () => {
    const job = JSON.stringify(body).slice(0, -1); // `{...` open for one more field
    const cases: [string, string, string, string][] = [
      ['POST', '/api/jobs/register', `${job},"payload":{"greeting":"hi\\ud800"}}`, 'payload.greeting'],
      ['POST', '/api/jobs/register', `${job},"payload":{"a":{"k\\uDC00":1}}}`, 'payload.a.k\ufffd'],
      ['POST', '/api/jobs/register', `${job},"description":"\\ud83d"}`, 'description'],
      ['POST', '/api/jobs/register', `${job},"description":"ok \\ud83d\\ude00 \\ude00"}`, 'description'],
      [
        'PUT',
        '/api/services/email-service/jobs',
        `{"jobs":[${job}},${job},"payload":{"x":"\\udfff"}}]}`,
        'jobs.1.payload.x',
      ],
      ['POST', '/api/jobs/weekly-digest/pause', '{"note":"\\ud800"}', 'note'],
      ['POST', '/api/jobs/weekly-digest/resume', '{"note":"a\\udbff"}', 'note'],
      ['POST', '/api/jobs/weekly-digest/trigger', '{"payload":{"x":["\\udfff"]}}', 'payload.x.0'],
      ['POST', '/api/jobs/weekly-digest/backfill', '{"from":"\\ud800","to":"2026-01-01T00:00:00Z"}', 'from'],
      ['POST', '/api/jobs/register', '"\\ud800"', 'body'],
    ];
    for (const [method, url, payload, field] of cases) {
      const res = await app().inject({
        method: method as 'POST',
        url,
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect({ url, status: res.statusCode, error: res.json().error }).toEqual({
        url,
        status: 400,
        error: {
          code: 'invalid_request',
          field,
          message: expect.stringMatching(new RegExp(`^${field}: is not well-formed text`)),
        },
      });
    }
    expect(calls).toEqual([]);
    // a pair, escaped or not, is a character like any other
    const astral = await app().inject({
      method: 'POST',
      url: '/api/jobs/register',
      headers: { 'content-type': 'application/json' },
      payload: `${job},"description":"\\ud83d\\ude00 😀","payload":{"😀":"\\uD83D\\uDE00"}}`,
    });
    expect(astral.statusCode).toBe(201);
  });

  test('a store outage is a 503 and an unexpected error a bare 500: no internals leak', async () => {
    const down = await app().inject({ method: 'GET', url: '/api/jobs/weekly-digest' });
    expect(down.statusCode).toBe(503);
    expect(down.body).not.toContain('10.0.0.7');
    const broken = await app().inject({ method: 'POST', url: '/api/jobs/weekly-digest/trigger', payload: {} });
    expect(broken.statusCode).toBe(500);
    expect(broken.json()).toEqual({ error: { code: 'internal_error', message: 'Internal server error', field: null } });
  });

  test('rate limit per caller: the 4th request a minute is a 429 with Retry-After, other callers unaffected', async () => {
    const limited = app({ ...tokens, SCHEDULER_RATE_LIMIT_PER_MINUTE: '3' });
    const as = (token: string) => ({
      method: 'GET' as const,
      url: '/api/jobs',
      headers: { authorization: `Bearer ${token}` },
    });
    for (let i = 0; i < 3; i++) expect((await limited.inject(as('admin-token-0123456789'))).statusCode).toBe(200);
    const over = await limited.inject(as('admin-token-0123456789'));
    expect(over.statusCode).toBe(429);
    expect(over.json().error.code).toBe('rate_limited');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect((await limited.inject(as('email-token-0123456789'))).statusCode).toBe(403); // its own bucket
    // guessing tokens counts against the client's address, so it is limited too
    const guesses = [];
    for (let i = 0; i < 4; i++) guesses.push((await limited.inject(as(`guess-${i}-0123456789`))).statusCode);
    expect(guesses).toEqual([401, 401, 401, 429]);
    // health checks are never limited
    for (let i = 0; i < 5; i++) expect((await limited.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });

  test('an overloaded process sheds /api requests with a 503 and Retry-After; probes still answer', async () => {
    const a = app({}, true, { maxHeapUsedBytes: 1, maxEventLoopDelayMs: 0, sampleIntervalMs: 10 });
    await a.ready();
    await sleep(50); // the first sample
    const shed = await a.inject({ method: 'POST', url: '/api/jobs/register', payload: body });
    expect(shed.statusCode).toBe(503);
    expect(shed.headers['retry-after']).toBe('5');
    expect(shed.json().error).toEqual({
      code: 'overloaded',
      message: 'the scheduler is overloaded (heap); retry in 5 s',
      field: null,
    });
    expect(calls).toEqual([]); // refused before any work
    expect((await a.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    await a.close();
    // the default limits: the heap cap's 85 %, far above what a test process uses
    expect((await app().inject({ method: 'POST', url: '/api/jobs/register', payload: body })).statusCode).toBe(201);
  });

  test('security headers on every answer; an oversized body is a 413 JSON error', async () => {
    const res = await app().inject({ method: 'GET', url: '/health' });
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'strict-transport-security': expect.stringContaining('max-age='),
      'content-security-policy': expect.stringContaining("default-src 'self'"),
    });
    expect(res.headers['x-powered-by']).toBeUndefined();
    const huge = await app().inject({
      method: 'POST',
      url: '/api/jobs/register',
      payload: { ...body, payload: { blob: 'x'.repeat(1024 * 1024) } },
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error).toEqual({
      code: 'payload_too_large',
      message: 'body: larger than 1048576 bytes',
      field: 'body',
    });
    expect(huge.body).not.toMatch(/at \w+ \(/); // no stack trace
  });

  test('the OpenAPI document at /docs/json lists every endpoint with its schema; /docs serves its UI', async () => {
    const a = app();
    const doc = (await a.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/alerts/',
      '/api/executions/',
      '/api/executions/{id}',
      '/api/executions/{id}/retry',
      '/api/fleet/fires',
      '/api/identity',
      '/api/jobs/',
      '/api/jobs/register',
      '/api/jobs/{name}',
      '/api/jobs/{name}/backfill',
      '/api/jobs/{name}/executions',
      '/api/jobs/{name}/occurrences',
      '/api/jobs/{name}/pause',
      '/api/jobs/{name}/resume',
      '/api/jobs/{name}/trigger',
      '/api/reconcile',
      '/api/schedules/preview',
      '/api/services/{service}/jobs',
      '/health',
      '/ready',
    ]);
    const register = doc.paths['/api/jobs/register'].post;
    expect(register.requestBody.content['application/json'].schema.required).toEqual([
      'name',
      'service',
      'endpoint',
      'cron',
    ]);
    expect(Object.keys(register.responses)).toEqual([
      '200',
      '201',
      '400',
      '401',
      '403',
      '409',
      '413',
      '415',
      '429',
      '500',
      '503',
    ]);
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    const ui = await a.inject({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/^text\/html/);
    expect(ui.body).toContain('swagger-ui');
  });
});
