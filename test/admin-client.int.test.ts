import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import type * as adminModule from '../client/admin';
import { createSchedulerAdmin, SchedulerRequestError, type ExecutionView } from '../client/admin';
import { apiClient, uniqueName } from './support/api';
import { launchBrowser } from './support/browser';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { eventually, startTarget, type Target } from './support/target';

const ADMIN_TOKEN = 'admin-client-token-0000';

/**
 * The client package's admin calls against a real scheduler, as the portal's admin page makes them: from Node, and
 * from a page in headless Chromium on another origin, which `SCHEDULER_CORS_ORIGINS` lets in or keeps out.
 */
describe("the client package's admin calls, against the real scheduler", () => {
  let target: Target;
  let scheduler: TestScheduler;
  let pages: Server;
  let pagePort: number;
  const jobs: string[] = [];

  beforeAll(async () => {
    target = await startTarget();
    pages = await servePages();
    pagePort = (pages.address() as AddressInfo).port;
    scheduler = await startTestScheduler({
      REPORTS_SERVICE_URL: target.url,
      SCHEDULER_ADMIN_TOKENS: `ops=${ADMIN_TOKEN}`,
      // the page's origin as 127.0.0.1 is listed; the same page as localhost is another origin
      SCHEDULER_CORS_ORIGINS: `http://127.0.0.1:${pagePort}`,
    });
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, jobs);
    await scheduler.stop();
    await target.close();
    await new Promise((r) => pages.close(r));
  });

  /** A job of reports-service, paused so that only the test's own runs happen. */
  async function registerJob(prefix: string, endpoint: string): Promise<string> {
    const name = uniqueName(prefix);
    jobs.push(name);
    const registered = await apiClient(scheduler.url, ADMIN_TOKEN).register({
      name,
      service: 'reports-service',
      endpoint,
      cron: '0 3 * * *',
      retry: { maxAttempts: 1 },
    });
    expect(registered.status).toBe(201);
    return name;
  }

  test('list, get, trigger, executions, retry, pause and resume, with the refusals as typed errors', async () => {
    const endpoint = `/reports/${uniqueName('nightly')}`;
    target.answer(endpoint, [
      { status: 422, body: '{"error":"no data yet"}' },
      { status: 200, body: '{"rows":12}' },
    ]);
    const name = await registerJob('ac-nightly', endpoint);
    let tokenAsked = 0;
    const admin = createSchedulerAdmin({ url: scheduler.url, token: () => (tokenAsked++, ADMIN_TOKEN) });

    const listed = await admin.listJobs({ service: 'reports-service', limit: 200 });
    expect(listed.jobs.map((j) => j.name)).toContain(name);
    const job = await admin.getJob(name);
    expect(job).toMatchObject({ name, service: 'reports-service', endpoint, cron: '0 3 * * *', paused: false });

    // run now with a payload of its own: the service answers 422, so the run fails at once
    const started = await admin.trigger(name, { day: '2026-11-28' });
    expect(started).toMatchObject({ jobName: name, trigger: 'manual', triggeredBy: 'ops', retryOf: null });
    const failed = await finished(started.id);
    expect(failed).toMatchObject({ status: 'failed', httpStatus: 422, attempts: 1 });
    expect(target.calls(endpoint)[0]?.json).toMatchObject({ job: name, payload: { day: '2026-11-28' } });
    const failures = await admin.listExecutions({ job: name, status: 'failed' });
    expect(failures.executions.map((e) => e.id)).toEqual([failed.id]);

    // retry it: a new run, linked to the failed one, which succeeds this time
    const retried = await admin.retry(failed.id);
    expect(retried).toMatchObject({ jobName: name, trigger: 'retry', retryOf: failed.id, triggeredBy: 'ops' });
    expect(await finished(retried.id)).toMatchObject({ status: 'succeeded', httpStatus: 200 });
    const runs = await admin.listExecutions({ job: name });
    expect(runs.executions.map((e) => [e.id, e.status])).toEqual([
      [retried.id, 'succeeded'],
      [failed.id, 'failed'],
    ]);
    expect((await admin.getJob(name)).stats).toMatchObject({ totalRuns: 2, successfulRuns: 1, failedRuns: 1 });

    // pause with a note, seen in the job and in the paused list; resume
    const paused = await admin.pause(name, 'upstream migration until Monday');
    expect(paused).toMatchObject({ paused: true, pauseNote: 'paused by ops: upstream migration until Monday' });
    expect((await admin.listJobs({ paused: true, limit: 200 })).jobs.map((j) => j.name)).toContain(name);
    expect(await admin.resume(name, 'migration done')).toMatchObject({ paused: false });
    expect((await admin.getJob(name)).paused).toBe(false);
    expect(tokenAsked).toBe(11); // every call asked for the current token

    // refusals: the API's code, field and status, as a SchedulerRequestError
    const conflict = await admin.retry(retried.id).catch((err: unknown) => err);
    expect(conflict).toBeInstanceOf(SchedulerRequestError);
    expect(conflict).toMatchObject({ status: 409, code: 'execution_conflict' });
    await expect(admin.getJob('no-such-job-here')).rejects.toMatchObject({ status: 404, code: 'job_not_found' });
    await expect(admin.listExecutions({ limit: 500 })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_request',
      field: 'limit',
    });
    const stranger = createSchedulerAdmin({ url: scheduler.url, token: 'not-a-token-of-anyone' });
    await expect(stranger.listJobs()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
  });

  describe('from a page in the browser (headless Chromium)', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchBrowser();
    });
    afterAll(() => browser.close());

    /** Opens the page at `origin`, and from it lists the jobs and runs `name` with the bundled admin client. */
    async function fromPage(origin: string, name: string) {
      const page = await browser.newPage();
      try {
        await page.goto(`${origin}/`);
        return await page.evaluate(
          async ({ url, token, name }) => {
            const admin = (globalThis as unknown as { SchedulerClient: typeof adminModule }).SchedulerClient;
            const client = admin.createSchedulerAdmin({ url, token });
            const attempt = async <T>(call: () => Promise<T>) =>
              call().then(
                (value) => ({ ok: true as const, value }),
                (err: Error) => ({ ok: false as const, error: `${err.name}: ${err.message}` }),
              );
            return {
              listed: await attempt(async () => (await client.listJobs({ limit: 200 })).jobs.map((j) => j.name)),
              triggered: await attempt(async () => (await client.trigger(name)).id),
              stranger: await attempt(() => admin.createSchedulerAdmin({ url, token: 'wrong-token' }).listJobs()),
            };
          },
          { url: scheduler.url, token: ADMIN_TOKEN, name },
        );
      } finally {
        await page.close();
      }
    }

    test("the listed origin's page lists jobs and runs one, and reads the API's refusals", async () => {
      const name = await registerJob('ac-browser', '/reports/browser');
      const seen = await fromPage(`http://127.0.0.1:${pagePort}`, name);
      expect(seen.listed).toEqual({ ok: true, value: expect.arrayContaining([name]) });
      expect(seen.triggered).toEqual({ ok: true, value: expect.any(String) });
      expect(seen.stranger).toEqual({
        ok: false,
        error: 'SchedulerRequestError: scheduler answered 401: Authorization: unknown token',
      });
      if (seen.triggered.ok) expect(await finished(seen.triggered.value)).toMatchObject({ triggeredBy: 'ops' });
    });

    test("another origin's page can neither read the API nor run a job", async () => {
      const name = await registerJob('ac-foreign', '/reports/foreign');
      const seen = await fromPage(`http://localhost:${pagePort}`, name);
      expect(seen.listed).toEqual({ ok: false, error: 'TypeError: Failed to fetch' });
      expect(seen.triggered).toEqual({ ok: false, error: 'TypeError: Failed to fetch' });
      // the browser refused the preflight, so the trigger never reached the scheduler
      const admin = createSchedulerAdmin({ url: scheduler.url, token: ADMIN_TOKEN });
      expect((await admin.listExecutions({ job: name })).executions).toEqual([]);
    });
  });

  /** The run once it has ended, as the API reports it. */
  async function finished(id: string): Promise<ExecutionView> {
    const admin = createSchedulerAdmin({ url: scheduler.url, token: ADMIN_TOKEN });
    return eventually(
      () => admin.getExecution(id),
      (e) => e.status !== 'running' && e.completedAt !== null,
    );
  }
});

/**
 * A page server on loopback: `/` is an empty page that loads `/admin-client.js`, client/admin.ts bundled for the
 * browser (as a portal's build would), exposed as `window.SchedulerClient`.
 */
async function servePages(): Promise<Server> {
  const bundled = await build({
    entryPoints: [path.resolve(__dirname, '../client/admin.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'SchedulerClient',
    write: false,
    logLevel: 'silent',
  });
  const script = bundled.outputFiles[0]!.text;
  const html = '<!doctype html><title>portal</title><script src="/admin-client.js"></script>';
  const server = createServer((req, res) => {
    if (req.url === '/admin-client.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return server;
}
