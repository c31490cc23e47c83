import Ajv from 'ajv';
import { readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ScheduleNotFoundError } from '@temporalio/client';
import { loadConfig } from '../config/config';
import { InvalidJobError } from '../jobs/validate';
import { StoreError } from '../store/job-store';
import { buildApp } from './app';
import * as errors from './errors';
import {
  ApiError,
  clientErrorHandler,
  ERROR_CODES,
  ExecutionConflictError,
  ExecutionNotFoundError,
  InvalidRequestError,
  JobConflictError,
  JobNotFoundError,
  ServiceNotFoundError,
} from './errors';
import type { AlertUseCases } from './use-cases/alerts';
import type { ExecutionUseCases } from './use-cases/executions';
import { createAuthenticator } from './identity';
import type { JobUseCases } from './use-cases/jobs';
import { setTimeout as sleep } from 'node:timers/promises';

/** The table of docs/errors.md: code → status. */
const documented = new Map(
  [...readFileSync(join(__dirname, '../docs/errors.md'), 'utf8').matchAll(/^\| (\d{3}) \| `(\w+)` \|/gm)].map(
    ([, status, code]) => [code!, Number(status)],
  ),
);

/** Every refusal the tests below provoke: each is checked against the OpenAPI schema and the docs' table. */
const provoked: { status: number; code: string }[] = [];

describe('every refusal has our shape, our documented code and the field at fault', () => {
  /** What every fake service method throws in the test at hand. */
  let failure: Error = new Error('unset');
  const fail = async () => {
    throw failure;
  };
  const jobs = {
    register: fail,
    get: fail,
    list: fail,
    trigger: fail,
    remove: fail,
    pause: fail,
    resume: fail,
    backfill: fail,
    replaceServiceJobs: fail,
    forgetReads: () => undefined,
  } as unknown as JobUseCases;
  const executions = { get: fail, list: fail, listOfJob: fail, retry: fail } as unknown as ExecutionUseCases;
  const tokens = {
    SCHEDULER_ADMIN_TOKENS: 'alice=admin-token-0123456789',
    SCHEDULER_SERVICE_TOKENS: 'email-service=email-token-0123456789',
    EMAIL_SERVICE_URL: 'http://email-service:7006',
  };
  const app = (env: NodeJS.ProcessEnv = {}) =>
    buildApp(
      {
        jobs,
        executions,
        alerts: {} as AlertUseCases,
        authenticate: createAuthenticator(loadConfig(env).identity),
        reconcile: fail,
        rateLimitPerMinute: loadConfig(env).rateLimitPerMinute,
        // never shed load here: a busy test machine's event-loop lag must not turn a 400 into a 503
        pressure: { maxHeapUsedBytes: Number.MAX_SAFE_INTEGER, maxEventLoopDelayMs: 0, sampleIntervalMs: 1000 },
        checks: { temporal: async () => undefined, store: async () => undefined },
      },
      { logger: false },
    );
  const open = app();
  const body = { name: 'weekly-digest', service: 'email-service', endpoint: '/x', cron: '@daily' };
  const json = { 'content-type': 'application/json' };
  const send = (method: string, url: string, payload: unknown) =>
    open.inject({ method: method as 'GET', url, ...(payload === undefined ? {} : { payload: payload as object }) });

  let validateError: ReturnType<Ajv['compile']>;
  let doc: {
    paths: Record<string, Record<string, { parameters?: { in: string }[]; requestBody?: unknown; responses: object }>>;
    components: { schemas: { ApiError: object } };
  };
  beforeAll(async () => {
    doc = (await open.inject({ method: 'GET', url: '/docs/json' })).json();
    validateError = new Ajv({ strict: false }).compile(doc.components.schemas.ApiError);
  });

  /** The refusal's status and error, after checking it against the documented ErrorSchema. */
  function refusal(res: { statusCode: number; body: string; headers: Record<string, unknown> }) {
    const parsed = JSON.parse(res.body) as { error: { code: string; message: string; field: string | null } };
    expect({ valid: validateError(parsed), errors: validateError.errors ?? null }).toEqual({
      valid: true,
      errors: null,
    });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    provoked.push({ status: res.statusCode, code: parsed.error.code });
    return { status: res.statusCode, ...parsed.error };
  }
  const refused = refusal;

  test('a schema refusal of each kind names the field, in the body, the query string and the path', async () => {
    const cases: [method: string, url: string, payload: unknown, field: string, message: string][] = [
      ['POST', '/api/jobs/register', { ...body, name: 'Weekly' }, 'name', 'name: must match pattern'],
      ['POST', '/api/jobs/register', { ...body, colour: 'red' }, 'colour', 'colour: unknown field'],
      ['POST', '/api/jobs/register', { ...body, retry: { jitter: true } }, 'retry.jitter', 'retry.jitter: unknown'],
      [
        'POST',
        '/api/jobs/register',
        { ...body, overlap: 'queue' },
        'overlap',
        'overlap: must be one of skip, buffer_one, buffer_all, cancel_other, terminate_other, allow_all',
      ],
      ['POST', '/api/jobs/register', { ...body, retry: { maxAttempts: 0 } }, 'retry.maxAttempts', 'must be >= 1'],
      ['POST', '/api/jobs/register', { ...body, timeoutSeconds: 3601 }, 'timeoutSeconds', 'must be <= 3600'],
      ['POST', '/api/jobs/register', { ...body, name: undefined }, 'name', 'name: is required'],
      ['POST', '/api/jobs/register', { ...body, enabled: 'false' }, 'enabled', 'enabled: must be boolean'],
      ['PUT', '/api/services/email-service/jobs', { jobs: [{ ...body, cron: 5 }] }, 'jobs.0.cron', 'must be string'],
      ['PUT', '/api/services/email-service/jobs', { jobs: [body, { cron: '@daily' }] }, 'jobs.1.name', 'required'],
      ['POST', '/api/jobs/weekly-digest/backfill', undefined, 'body', 'body: must be object'],
      ['POST', '/api/jobs/weekly-digest/pause', { note: 'n'.repeat(501) }, 'note', 'note: must NOT have more than'],
      ['GET', '/api/executions?status=done', undefined, 'status', 'status: must be one of running, succeeded'],
      ['GET', '/api/executions?status=failed,done', undefined, 'status', 'status: must be one of running, succeeded'],
      ['GET', `/api/jobs?q=${'x'.repeat(201)}`, undefined, 'q', 'q: must NOT have more than 200 characters'],
      ['GET', '/api/jobs?failing=maybe', undefined, 'failing', 'failing: must be boolean'],
      ['GET', '/api/executions?limit=0', undefined, 'limit', 'limit: must be >= 1'],
      ['GET', '/api/executions?limit=500', undefined, 'limit', 'limit: must be <= 200'],
      ['GET', '/api/executions?limit=abc', undefined, 'limit', 'limit: must be integer'],
      ['GET', '/api/jobs?colour=red', undefined, 'colour', 'colour: unknown field'],
      ['GET', '/api/jobs?paused=maybe', undefined, 'paused', 'paused: must be boolean'],
      ['GET', '/api/executions?startedAfter=yesterday', undefined, 'startedAfter', 'must match format "date-time"'],
      ['GET', '/api/jobs/Weekly', undefined, 'name', 'name: must match pattern'],
      ['GET', `/api/jobs/${'a'.repeat(201)}`, undefined, 'name', 'name: must match pattern'],
      ['PUT', `/api/services/${'s'.repeat(101)}/jobs`, { jobs: [] }, 'service', 'must NOT have more than 100'],
      ['GET', `/api/executions/${'i'.repeat(301)}`, undefined, 'id', 'id: must NOT have more than 300 characters'],
    ];
    for (const [method, url, payload, field, message] of cases) {
      const res = await send(method, url, payload);
      const error = refused(res);
      expect({ url, payload, ...error }).toEqual({
        url,
        payload,
        status: 400,
        code: 'invalid_request',
        field,
        message: expect.stringContaining(message),
      });
      expect(error.message.startsWith(`${field}: `)).toBe(true);
    }
  });

  test('the router: a path parameter past 500 characters is a 414 naming it; bad percent-encoding a 400', async () => {
    const long = await open.inject({ method: 'GET', url: `/api/jobs/${'a'.repeat(501)}/executions` });
    expect(refused(long)).toEqual({
      status: 414,
      code: 'uri_too_long',
      field: 'name',
      message: 'name: is longer than 500 characters',
    });
    const badUrl = await open.inject({ method: 'GET', url: '/api/executions/%ff%ff%ff' });
    expect(refused(badUrl)).toEqual({
      status: 400,
      code: 'invalid_request',
      field: 'id',
      message: 'id: is not valid percent-encoding (each byte of its UTF-8 as %XX)',
    });
    expect(badUrl.body).not.toMatch(/FST_ERR/i);
  });

  test('the body parser: too large, not JSON, empty, or of another media type', async () => {
    const post = (payload: string, headers: Record<string, string> = json) =>
      open.inject({ method: 'POST', url: '/api/jobs/register', headers, payload });
    expect(refused(await post(JSON.stringify({ ...body, description: 'x'.repeat(1024 * 1024) })))).toEqual({
      status: 413,
      code: 'payload_too_large',
      field: 'body',
      message: 'body: larger than 1048576 bytes',
    });
    expect(refused(await post('{"name":'))).toEqual({
      status: 400,
      code: 'invalid_request',
      field: 'body',
      message: 'body: is not valid JSON',
    });
    expect(refused(await post(''))).toEqual({
      status: 400,
      code: 'invalid_request',
      field: 'body',
      message: 'body: is empty, but content-type says application/json',
    });
    // text/plain is refused as a media type, not parsed into a string the schema then calls "not an object"
    expect(refused(await post(JSON.stringify(body), { 'content-type': 'text/plain' }))).toEqual({
      status: 415,
      code: 'unsupported_media_type',
      field: null,
      message: 'Content-Type: "text/plain" is not accepted; send application/json',
    });
    const form = await post('name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(refused(form)).toMatchObject({ status: 415, code: 'unsupported_media_type', field: null });
    expect(refused(await post('{}', { 'content-type': '/' }))).toMatchObject({
      status: 415,
      code: 'unsupported_media_type',
    });
    // a charset parameter is still JSON
    expect((await post('{}', { 'content-type': 'application/json; charset=utf-8' })).json().error.field).toBe('name');
  });

  test('no such route is a 404; a route under another method is a 405 with Allow', async () => {
    expect(refused(await open.inject({ method: 'GET', url: '/api/nothing?x=1' }))).toEqual({
      status: 404,
      code: 'route_not_found',
      field: null,
      message: 'GET /api/nothing is not an endpoint',
    });
    const wrong = await open.inject({ method: 'DELETE', url: '/api/jobs' });
    expect(refused(wrong)).toEqual({
      status: 405,
      code: 'method_not_allowed',
      field: null,
      message: 'DELETE /api/jobs: this endpoint answers GET, HEAD',
    });
    expect(wrong.headers.allow).toBe('GET, HEAD');
    const patch = await open.inject({ method: 'PATCH', url: '/api/jobs/weekly-digest' });
    expect(refused(patch)).toMatchObject({ status: 405, code: 'method_not_allowed' });
    expect(patch.headers.allow).toBe('GET, HEAD, DELETE');
  });

  test("each of our errors, and the dependencies' failures, keep their code; a 5xx says nothing of internals", async () => {
    const grpc = (code: number) =>
      Object.assign(new Error('UNAVAILABLE: 10.0.0.7:7233'), { code, details: '10.0.0.7', metadata: {} });
    const backfill = { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' };
    const declare = { jobs: [body] };
    const cases: [Error, string, string, unknown, object][] = [
      [
        new JobNotFoundError('weekly-digest'),
        'GET',
        '/api/jobs/weekly-digest',
        undefined,
        { status: 404, code: 'job_not_found', field: 'name' },
      ],
      [
        new ScheduleNotFoundError('gone', 'job-weekly-digest'),
        'POST',
        '/api/jobs/weekly-digest/pause',
        {},
        { status: 404, code: 'job_not_found', field: null },
      ],
      [
        new ExecutionNotFoundError('e-1'),
        'GET',
        '/api/executions/e-1',
        undefined,
        { status: 404, code: 'execution_not_found', field: 'id' },
      ],
      [
        new ServiceNotFoundError('nobody'),
        'PUT',
        '/api/services/nobody/jobs',
        declare,
        { status: 404, code: 'service_not_found', field: 'service' },
      ],
      [
        new JobConflictError('weekly-digest'),
        'POST',
        '/api/jobs/register',
        body,
        { status: 409, code: 'job_name_taken', field: 'name' },
      ],
      [
        new JobConflictError('weekly-digest', 'jobs.0.name'),
        'PUT',
        '/api/services/email-service/jobs',
        declare,
        {
          status: 409,
          code: 'job_name_taken',
          field: 'jobs.0.name',
          message: 'jobs.0.name: job weekly-digest belongs to another service',
        },
      ],
      [
        new ExecutionConflictError('execution e-1 is succeeded'),
        'POST',
        '/api/executions/e-1/retry',
        undefined,
        { status: 409, code: 'execution_conflict', field: null },
      ],
      [
        new InvalidRequestError('to: must be after from'),
        'POST',
        '/api/jobs/weekly-digest/backfill',
        backfill,
        { status: 400, code: 'invalid_request', field: 'to' },
      ],
      [
        new InvalidRequestError('before: not a cursor returned by this API'),
        'GET',
        '/api/executions',
        undefined,
        { status: 400, code: 'invalid_request', field: 'before' },
      ],
      [
        new InvalidJobError('cron', 'not a cron expression'),
        'POST',
        '/api/jobs/register',
        body,
        { status: 400, code: 'invalid_job', field: 'cron', message: 'cron: not a cron expression' },
      ],
      [
        new StoreError('get_job', { cause: new Error('10.0.0.7:5432') }),
        'GET',
        '/api/jobs/weekly-digest',
        undefined,
        { status: 503, code: 'store_unavailable', field: null },
      ],
      [
        new StoreError('upsert_job', { cause: new Error('22P05 at 10.0.0.7'), refused: true }),
        'POST',
        '/api/jobs/register',
        body,
        { status: 500, code: 'internal_error', field: null },
      ],
      [grpc(14), 'GET', '/api/jobs', undefined, { status: 503, code: 'temporal_unavailable', field: null }],
      [grpc(4), 'GET', '/api/jobs', undefined, { status: 503, code: 'temporal_unavailable', field: null }],
      [
        new Error('secret internals at 10.0.0.7'),
        'POST',
        '/api/reconcile',
        undefined,
        { status: 500, code: 'internal_error', field: null, message: 'Internal server error' },
      ],
    ];
    for (const [error, method, url, payload, expected] of cases) {
      failure = error;
      const res = await send(method, url, payload);
      expect({ error: error.name, ...refused(res) }).toMatchObject({ error: error.name, ...expected });
      expect(res.body).not.toContain('10.0.0.7');
    }
  });

  test('identity and rate limits refuse in our shape, naming no field', async () => {
    const guarded = app({ ...tokens, SCHEDULER_RATE_LIMIT_PER_MINUTE: '2' });
    const as = (authorization?: string) =>
      guarded.inject({ method: 'GET', url: '/api/executions/x', headers: authorization ? { authorization } : {} });
    expect(refused(await as())).toEqual({
      status: 401,
      code: 'unauthorized',
      field: null,
      message: 'Authorization: a Bearer token is required',
    });
    const trigger = await guarded.inject({
      method: 'POST',
      url: '/api/jobs/weekly-digest/trigger',
      headers: { authorization: 'Bearer email-token-0123456789' },
    });
    expect(refused(trigger)).toEqual({
      status: 403,
      code: 'forbidden',
      field: null,
      message: 'This action is for admins only',
    });
    await as('Bearer email-token-0123456789'); // the service's second request this minute (of two allowed)
    const limited = await as('Bearer email-token-0123456789');
    expect(refused(limited)).toMatchObject({ status: 429, code: 'rate_limited', field: null });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  test('over real HTTP: what Node refuses before Fastify, and requests during shutdown, are in our shape', async () => {
    const server = app();
    let started = () => {};
    const inFlight = new Promise<void>((resolve) => (started = resolve));
    let release = () => {};
    const page = { jobs: [], nextCursor: null };
    let calls = 0;
    // the first request waits for `release`; any later one that got through would answer at once
    (jobs as { list: unknown }).list = () =>
      calls++ > 0
        ? Promise.resolve(page)
        : new Promise((resolve) => {
            release = () => resolve(page);
            started();
          });
    await server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = server.server.address() as { port: number };
    /** A connection of its own: `answers` resolves to the responses sent on it, once the server closes it. */
    const connection = (first: string) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(first));
      const answers = new Promise<ReturnType<typeof refusal>[]>((resolve, reject) => {
        let received = '';
        socket.on('data', (chunk) => (received += chunk.toString('latin1')));
        socket.on('close', () => resolve(responses(received)));
        socket.on('error', reject);
      });
      return { write: (text: string) => socket.write(text), answers };
    };
    /** Each response on the wire, by its Content-Length. */
    const responses = (wire: string) => {
      const found = [];
      while (wire.length > 0) {
        const end = wire.indexOf('\r\n\r\n');
        const lines = wire.slice(0, end).split('\r\n');
        const headers = Object.fromEntries(
          lines
            .slice(1)
            .map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
        );
        const length = Number(headers['content-length']);
        const body = wire.slice(end + 4, end + 4 + length);
        wire = wire.slice(end + 4 + length);
        const statusCode = Number(lines[0]!.split(' ')[1]);
        found.push(
          statusCode < 400
            ? { status: statusCode, code: '', field: null, message: body }
            : refusal({ statusCode, body, headers }),
        );
      }
      return found;
    };
    try {
      const big = connection(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      expect(await big.answers).toEqual([
        {
          status: 431,
          code: 'headers_too_large',
          field: null,
          message: 'the request line and headers are larger than 16 KiB',
        },
      ]);
      const badLength = connection('POST /api/jobs/register HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n{}');
      expect(await badLength.answers).toEqual([
        {
          status: 400,
          code: 'malformed_request',
          field: null,
          message: 'the request is not well-formed HTTP: Invalid character in Content-Length',
        },
      ]);
      // A request in flight holds its connection open through shutdown; the next one sent on it is refused
      // (Fastify's own refusal would be `{"error":"Service Unavailable",…}`).
      const busy = connection('GET /api/jobs HTTP/1.1\r\nHost: x\r\n\r\n');
      await inFlight;
      const closed = server.close();
      await sleep(50);
      busy.write('GET /api/jobs HTTP/1.1\r\nHost: x\r\n\r\n');
      await sleep(50);
      release();
      expect(await busy.answers).toEqual([
        { status: 200, code: '', field: null, message: '{"jobs":[],"nextCursor":null}' },
        {
          status: 503,
          code: 'shutting_down',
          field: null,
          message: 'the scheduler is shutting down; retry, another instance will answer',
        },
      ]);
      await closed;
    } finally {
      release();
      await server.close();
      (jobs as { list: unknown }).list = fail;
    }
  });

  test('a timed-out request is answered in our shape before the socket closes', () => {
    const socket = new PassThrough();
    let written = '';
    socket.on('data', (chunk: Buffer) => (written += chunk.toString()));
    socket.on('error', () => undefined); // destroyed with the error, as Node's own handler does
    clientErrorHandler(Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket);
    const [head, text = ''] = written.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(
      refusal({ statusCode: 408, body: text, headers: { 'content-type': 'application/json; charset=utf-8' } }),
    ).toEqual({
      status: 408,
      code: 'request_timeout',
      field: null,
      message: 'the request did not arrive whole in time',
    });
    expect(socket.destroyed).toBe(true);
  });

  test('the OpenAPI document lists the refusals of every route, each an ApiError', () => {
    const ref = { $ref: '#/components/schemas/ApiError' };
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const api = path.startsWith('/api/');
        const params = (operation.parameters ?? []).some((p) => p.in === 'path');
        const query = (operation.parameters ?? []).some((p) => p.in === 'query');
        const withBody = ['post', 'put', 'patch', 'delete'].includes(method);
        const expected = [
          ...(withBody || params || query ? ['400'] : []),
          ...(api ? ['401', '403'] : []),
          ...(params ? ['404'] : []),
          ...(withBody ? ['413', '415'] : []),
          ...(params ? ['414'] : []),
          ...(api ? ['429'] : []),
          '500',
          '503',
        ];
        const responses = operation.responses as Record<string, { content?: Record<string, { schema: unknown }> }>;
        for (const status of expected) {
          const schema = responses[status]?.content?.['application/json']?.schema;
          // /ready documents its own 503 body (the health report)
          if (path === '/ready' && status === '503') continue;
          expect({ route: `${method} ${path}`, status, schema }).toEqual({
            route: `${method} ${path}`,
            status,
            schema: ref,
          });
        }
      }
    }
    for (const [path, method] of [
      ['/api/jobs/register', 'post'],
      ['/api/services/{service}/jobs', 'put'],
      ['/api/executions/{id}/retry', 'post'],
    ] as const) {
      expect(doc.paths[path]![method]!.responses).toHaveProperty('409');
    }
    expect(doc.components.schemas.ApiError).toMatchObject({
      properties: {
        error: { required: ['code', 'message', 'field'], properties: { code: { enum: [...ERROR_CODES] } } },
      },
    });
  });
});

describe('docs/errors.md', () => {
  test('has a row for every code, with the status of the error that carries it', () => {
    expect([...documented.keys()].sort()).toEqual([...ERROR_CODES].sort());
    const classes = (Object.values(errors) as unknown[]).filter(
      (value): value is new (message: string) => ApiError =>
        typeof value === 'function' && value.prototype instanceof ApiError,
    );
    expect(classes.length).toBeGreaterThan(10);
    for (const Class of classes) {
      const { code, statusCode } = new Class('x');
      expect({ code, status: documented.get(code) }).toEqual({ code, status: statusCode });
    }
  });

  test('lists every code written in api/', () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory()
          ? sources(join(dir, entry.name))
          : entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')
            ? [readFileSync(join(dir, entry.name), 'utf8')]
            : [],
      );
    const used = new Set(
      sources(__dirname).flatMap((text) => [
        ...[...text.matchAll(/\bcode(?:\s*=|:)\s*'(\w+)'/g)].map((m) => m[1]!),
        ...[...text.matchAll(/errorBody\(\s*'(\w+)'/g)].map((m) => m[1]!),
      ]),
    );
    expect(used.size).toBeGreaterThan(15);
    expect([...used].filter((code) => !documented.has(code))).toEqual([]);
  });

  test('every refusal the tests above provoked carries a documented code with its documented status', () => {
    expect(provoked.length).toBeGreaterThan(50);
    expect(provoked.filter(({ status, code }) => documented.get(code) !== status)).toEqual([]);
  });
});
