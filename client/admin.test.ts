import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchedulerAdmin, SchedulerRequestError } from './admin';

/** The requests the admin calls make and how they read answers, against a real HTTP server that records them. */
describe('the admin calls', () => {
  type Seen = { method: string; url: string; auth?: string; type?: string; body: string };
  let server: Server;
  let base: string;
  const seen: Seen[] = [];
  let answer: [number, string] = [200, '{}'];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const { method = '', url = '', headers } = req;
        seen.push({ method, url, auth: headers.authorization, type: headers['content-type'], body });
        res.writeHead(answer[0], { 'content-type': 'application/json' }).end(answer[1]);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scheduler/`;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => {
    seen.length = 0;
    answer = [200, '{}'];
  });

  test('lists (jobs, runs, alerts) send only the filters given: dates as ISO-8601, several statuses comma-separated', async () => {
    const admin = createSchedulerAdmin({ url: base, token: 'admin-token' });
    answer = [200, JSON.stringify({ jobs: [{ name: 'weekly-digest' }], nextCursor: 'weekly-digest' })];
    const page = await admin.listJobs({ service: 'email-service', paused: false, q: 'digest', limit: 10 });
    expect(page).toEqual({ jobs: [{ name: 'weekly-digest' }], nextCursor: 'weekly-digest' });
    await admin.listJobs();
    await admin.listExecutions({
      job: 'weekly-digest',
      status: ['failed', 'timed_out'],
      startedAfter: new Date('2026-11-01T00:00:00Z'),
      before: 'cursor/1',
    });
    await admin.listAlerts({ state: 'open', job: 'weekly-digest', limit: 5 });
    expect(seen.map((s) => [s.method, s.url, s.auth, s.type])).toEqual([
      [
        'GET',
        '/scheduler/api/jobs?service=email-service&paused=false&q=digest&limit=10',
        'Bearer admin-token',
        undefined,
      ],
      ['GET', '/scheduler/api/jobs', 'Bearer admin-token', undefined],
      [
        'GET',
        '/scheduler/api/executions?job=weekly-digest&status=failed%2Ctimed_out&startedAfter=2026-11-01T00%3A00%3A00.000Z&before=cursor%2F1',
        'Bearer admin-token',
        undefined,
      ],
      ['GET', '/scheduler/api/alerts?state=open&job=weekly-digest&limit=5', 'Bearer admin-token', undefined],
    ]);
  });

  test('actions send JSON bodies and answer the job or the run itself; names and ids are escaped', async () => {
    const admin = createSchedulerAdmin({ url: base });
    answer = [202, JSON.stringify({ execution: { id: 'job-run-a/b' } })];
    expect(await admin.trigger('weekly-digest', { batch: 2 })).toEqual({ id: 'job-run-a/b' });
    await admin.trigger('weekly-digest');
    expect(await admin.retry('job-run-a/b')).toEqual({ id: 'job-run-a/b' });
    answer = [200, JSON.stringify({ job: { name: 'weekly-digest', paused: true } })];
    expect(await admin.pause('weekly-digest', 'migration')).toEqual({ name: 'weekly-digest', paused: true });
    await admin.resume('weekly-digest');
    expect(await admin.getJob('weekly-digest')).toEqual({ name: 'weekly-digest', paused: true });
    expect(seen.map((s) => [s.method, s.url, s.type, s.body, s.auth])).toEqual([
      ['POST', '/scheduler/api/jobs/weekly-digest/trigger', 'application/json', '{"payload":{"batch":2}}', undefined],
      ['POST', '/scheduler/api/jobs/weekly-digest/trigger', 'application/json', '{}', undefined],
      ['POST', '/scheduler/api/executions/job-run-a%2Fb/retry', undefined, '', undefined],
      ['POST', '/scheduler/api/jobs/weekly-digest/pause', 'application/json', '{"note":"migration"}', undefined],
      ['POST', '/scheduler/api/jobs/weekly-digest/resume', 'application/json', '{}', undefined],
      ['GET', '/scheduler/api/jobs/weekly-digest', undefined, '', undefined],
    ]);
  });

  test('a token function is asked before every call (a Clerk session token changes within minutes)', async () => {
    let n = 0;
    const admin = createSchedulerAdmin({ url: base, token: async () => `jwt-${++n}` });
    await admin.listJobs();
    await admin.listExecutions();
    expect(seen.map((s) => s.auth)).toEqual(['Bearer jwt-1', 'Bearer jwt-2']);
  });

  test("a refusal is a SchedulerRequestError with the scheduler's status, code, field and message", async () => {
    const admin = createSchedulerAdmin({ url: base, token: 'admin-token' });
    answer = [
      400,
      JSON.stringify({ error: { code: 'invalid_request', message: 'limit: must be <= 200', field: 'limit' } }),
    ];
    const refusal = await admin.listJobs({ limit: 500 }).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(SchedulerRequestError);
    expect(refusal).toMatchObject({
      status: 400,
      code: 'invalid_request',
      field: 'limit',
      message: 'scheduler answered 400: limit: must be <= 200',
    });
    answer = [409, JSON.stringify({ error: { code: 'execution_conflict', message: 'it succeeded', field: null } })];
    await expect(admin.retry('x')).rejects.toMatchObject({ status: 409, code: 'execution_conflict', field: null });
    answer = [502, '<html>Bad Gateway</html>']; // a proxy's page: nothing is retried, its text is shown
    await expect(admin.getJob('x')).rejects.toMatchObject({ status: 502, code: 'unknown', field: null });
    expect(seen).toHaveLength(3);
  });

  test('a signal aborts a call', async () => {
    const admin = createSchedulerAdmin({ url: base });
    const controller = new AbortController();
    controller.abort();
    await expect(admin.listJobs({}, { signal: controller.signal })).rejects.toThrow(/abort/i);
  });
});
