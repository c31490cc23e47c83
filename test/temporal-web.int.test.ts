import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { DevServer } from '../devserver/dev-server';
import type { JobView } from '../api/schemas/jobs';
import { apiClient, uniqueName } from './support/api';
import { launchBrowser, saveScreenshot } from './support/browser';
import { freePort } from './support/ports';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { startTestTemporal } from './support/stack';
import { eventually, startTarget, type Target } from './support/target';

/** Temporal Web is a SvelteKit app that loads its data after the page: wait for it generously. */
const SHOWN_MS = 30_000;

/**
 * Operations open a failed run's and a job's `temporal.url` from the API: in headless Chromium, against a dev server
 * of this test's own with Temporal Web on (the run's shared server is headless), the run's page shows that workflow,
 * its run, "Failed" and the call's error; the schedule's page shows the schedule. Every request the page makes stays
 * on loopback.
 */
describe('Temporal Web: the links in the API open the run and the schedule', () => {
  const dir = mkdtempSync(path.join(process.env.INTEGRATION_TMP_DIR ?? '/tmp', 'temporal-web-'));
  const name = uniqueName('webfail');
  const error = `digest template ${name} missing`;
  let temporal: DevServer;
  let target: Target;
  let scheduler: TestScheduler;
  let browser: Browser;
  /** Every URL the browser asked for, to prove nothing leaves loopback. */
  const requested: string[] = [];

  beforeAll(async () => {
    // one at a time, so that afterAll stops whatever started before a failure
    temporal = await startTestTemporal({ logFile: path.join(dir, 'temporal.log'), uiPort: await freePort() });
    target = await startTarget();
    browser = await launchBrowser();
    scheduler = await startTestScheduler({
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_UI_URL: temporal.uiUrl!,
      EMAIL_SERVICE_URL: target.url,
    });
  });
  afterAll(async () => {
    await browser?.close();
    if (scheduler) await deleteSchedules(scheduler.client, [name]);
    await scheduler?.stop();
    await target?.close();
    await temporal?.stop();
  });

  /** A fresh page that records where it sends requests. */
  const open = async (url: string): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, timezoneId: 'UTC' });
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(url);
    return page;
  };

  test("a failed run's temporal.url shows the run, Failed and its error; a job's shows its schedule", async () => {
    const api = apiClient(scheduler.url);
    target.answer('/digest', [{ status: 500, body: JSON.stringify({ error }) }]);
    const registered = await api.register({
      name,
      service: 'email-service',
      endpoint: '/digest',
      cron: '0 9 * * 1',
      retry: { maxAttempts: 2, initialIntervalSeconds: 1 },
    });
    expect(registered.status).toBe(201);
    const triggered = await api.trigger(name);
    expect(triggered.status).toBe(202);
    const execution = await api.finished(triggered.body.execution.id);
    expect(execution).toMatchObject({ status: 'failed', attempts: 2, httpStatus: 500 });
    expect(execution.error).toContain(error);
    expect(execution.runId).toBeTruthy();
    expect(execution.temporal.url.startsWith(`${temporal.uiUrl}/`)).toBe(true);

    // the run's page: its workflow id as the heading, the run id, the status badge and, in the run's result, the
    // failure the workflow ended with (the call's answer), then the failed activity in the history
    const run = await open(execution.temporal.url);
    await run.getByRole('heading', { name: execution.workflowId }).waitFor({ timeout: SHOWN_MS });
    await run.getByText(execution.runId!, { exact: true }).waitFor({ timeout: SHOWN_MS });
    await run.getByText('Failed', { exact: true }).first().waitFor({ timeout: SHOWN_MS });
    await run.getByText(error).first().waitFor({ timeout: SHOWN_MS });
    await run.getByText(`${execution.attempts} • callService`).waitFor({ timeout: SHOWN_MS });
    await saveScreenshot(run, 'temporal-web-failed-run');

    // Temporal computes a new schedule's next times asynchronously: the job view has them from a later read
    const job = await eventually(
      () => api.call<{ job: JobView }>('GET', `/api/jobs/${name}`),
      (r) => r.status === 200 && r.body.job.nextRunTimes.length > 0,
      SHOWN_MS,
    );
    const { scheduleId, url } = job.body.job.temporal;
    expect(url.startsWith(`${temporal.uiUrl}/`)).toBe(true);
    // the schedule's page: its id as the heading and, among its upcoming runs, the job's next run (shown in UTC)
    const schedule = await open(url);
    await schedule.getByRole('heading', { name: scheduleId }).waitFor({ timeout: SHOWN_MS });
    const next = job.body.job.nextRunTimes[0]!;
    await schedule
      .getByText(`${next.slice(0, 10)} UTC ${next.slice(11, 19)}`)
      .first()
      .waitFor({ timeout: SHOWN_MS });
    await saveScreenshot(schedule, 'temporal-web-schedule');

    expect(requested.length).toBeGreaterThan(0);
    const outside = requested.filter((u) => !/^(http:\/\/(localhost|127\.0\.0\.1):\d+\/|data:|blob:)/.test(u));
    expect(outside).toEqual([]);
  });
});
