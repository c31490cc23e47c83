import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { CONSOLE_CSP } from '../api/plugins/console';
import type { Static } from '@sinclair/typebox';
import type { LedgerReply } from '../api/schemas/occurrences';
import { createSqliteStore } from '../store/sqlite/sqlite-store';
import { apiClient, uniqueName } from './support/api';
import { launchBrowser, saveScreenshot } from './support/browser';
import { startPrefixProxy, type PrefixProxy } from './support/prefix-proxy';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { eventually, startTarget, type Target } from './support/target';

/** The email service's three jobs, as the seed registers them (test/seed-checklist.int.test.ts). */
const EMAIL_JOBS = [
  { name: 'weekly-digest', endpoint: '/api/jobs/weekly-digest', cron: '0 9 * * MON', description: 'Weekly digest' },
  { name: 're-engagement', endpoint: '/api/jobs/re-engagement', cron: '0 10 * * *', payload: { inactiveDays: 7 } },
  { name: 'queue-cleanup', endpoint: '/api/jobs/queue-cleanup', cron: '@every 15m' },
];
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
/** Long enough for a poll (5 s) after a run ends, and the run itself. */
const LIVE_MS = 30_000;

/** Waits for the locator to be visible and answers it. */
async function shown(locator: Locator, timeout = LIVE_MS): Promise<Locator> {
  await locator.first().waitFor({ state: 'visible', timeout });
  return locator.first();
}

interface Visit {
  page: Page;
  context: BrowserContext;
  /** Every URL the page requested. */
  requests: string[];
  /** Console errors and CSP reports. */
  problems: string[];
}

/** A fresh tab (UTC, like the server) on `url`; what it requests and complains about is recorded. */
async function visit(browser: Browser, url: string, { width = 1280 } = {}): Promise<Visit> {
  const context = await browser.newContext({ timezoneId: 'UTC', locale: 'en-GB', viewport: { width, height: 900 } });
  const page = await context.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  // Chromium logs every refused request: the tests provoke 401s and 404s on purpose
  page.on('console', (m) => m.type() === 'error' && !/status of 40[134]/.test(m.text()) && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(url);
  return { page, context, requests, problems };
}

/** Zero serious or critical axe-core violations (axe is evaluated through the DevTools protocol: the CSP stays on). */
async function expectAccessible(page: Page): Promise<void> {
  await page.evaluate(AXE);
  // a string: the test's own types have no DOM
  const violations = await page.evaluate<string[]>(`axe.run().then((result) => result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => v.id + ' (' + v.impact + '): ' + v.nodes.map((n) => n.html).join(' | ')))`);
  expect(violations).toEqual([]);
}

/** A screenshot for the artefacts, and the accessibility check, of the page as it stands. */
async function record(page: Page, name: string): Promise<void> {
  await saveScreenshot(page, name);
  await expectAccessible(page);
}

/** Registers a new job: 201 (the API client asks again when a fresh process sheds the request). */
async function registerNew(api: ReturnType<typeof apiClient>, job: Record<string, unknown>): Promise<void> {
  expect(await api.register(job)).toMatchObject({ status: 201 });
}

/** Local `datetime-local` value (the browser runs in UTC). */
const inputValue = (ms: number) => new Date(ms).toISOString().slice(0, 16);

describe('the admin console, open mode, in Chromium', () => {
  let target: Target;
  let scheduler: TestScheduler;
  let browser: Browser;
  let proxy: PrefixProxy;
  const visits: Visit[] = [];
  const open = async (url: string, opts?: { width?: number }) => {
    const v = await visit(browser, url, opts);
    visits.push(v);
    return v;
  };

  beforeAll(async () => {
    [target, browser] = await Promise.all([startTarget(), launchBrowser()]);
    // a start rate of 4 a second: five jobs on one second make a herd (the fleet test)
    scheduler = await startTestScheduler({ EMAIL_SERVICE_URL: target.url, SCHEDULER_TEMPORAL_START_RATE: '4' });
    const api = apiClient(scheduler.url);
    for (const job of EMAIL_JOBS) await registerNew(api, { service: 'email-service', ...job });
    proxy = await startPrefixProxy(scheduler.url, '/scheduler');
  });

  afterAll(async () => {
    for (const v of visits) expect(v.problems).toEqual([]);
    await browser?.close();
    await deleteSchedules(
      scheduler.client,
      EMAIL_JOBS.map((j) => j.name),
    );
    await proxy?.close();
    await scheduler?.stop();
    await target?.close();
  });

  test('a newcomer opens /admin and sees the three jobs with their next runs, from the service alone', async () => {
    const { page, requests } = await open(`${scheduler.url}/admin`);
    expect(page.url()).toBe(`${scheduler.url}/admin/`);
    for (const job of EMAIL_JOBS) await shown(page.locator(`tr[data-job="${job.name}"]`));
    const next = await page
      .locator('tr[data-job="weekly-digest"] td[data-label="Next run"] time')
      .getAttribute('datetime');
    expect(new Date(next!).getUTCDay()).toBe(1); // a Monday
    expect(Date.parse(next!)).toBeGreaterThan(Date.now());
    // any unit: on a Monday morning the digest is minutes away
    await shown(page.locator('tr[data-job="weekly-digest"]').getByText(/in \d+ (day|hour|minute|second)s?\b/));
    await expect(page.locator('tr[data-job="re-engagement"]').innerText()).resolves.toContain('0 10 * * *');
    const response = await page.request.get(`${scheduler.url}/admin/`);
    expect(response.headers()['content-security-policy']).toBe(CONSOLE_CSP);
    expect(requests.filter((url) => !url.startsWith(`${scheduler.url}/`))).toEqual([]);
    await record(page, 'console-jobs');
    await page.getByLabel('Name contains').fill('DIGEST');
    await page.locator('tr[data-job="queue-cleanup"]').waitFor({ state: 'detached' });
    await shown(page.locator('tr[data-job="weekly-digest"]'));
    expect(await page.locator('tr[data-job]').count()).toBe(1);
  });

  test('run now: the new run appears on the job page and turns succeeded without a reload', async () => {
    const { page } = await open(`${scheduler.url}/admin/`);
    await (await shown(page.getByRole('link', { name: 'queue-cleanup' }))).click();
    await shown(page.getByRole('heading', { name: 'queue-cleanup', level: 1 }));
    await page.evaluate('window.notReloaded = true');
    await page.getByRole('button', { name: 'Run now' }).click();
    const started = await shown(page.getByRole('status').getByRole('link'));
    const id = (await started.innerText()).trim();
    expect(id).toMatch(/queue-cleanup/);
    await shown(page.locator(`tr[data-execution="${id}"] .status-succeeded`));
    expect(await page.evaluate('window.notReloaded')).toBe(true); // the same document all along
    await shown(page.locator('tr[data-execution] td[data-label="Trigger"]').getByText('manual by anonymous'));
    await record(page, 'console-job');
  });

  test('a failed run is in Failures; Retry starts a new run that succeeds, and both runs link to each other', async () => {
    target.answer('/api/jobs/re-engagement', [{ status: 422, body: '{"error":"mailbox full"}' }]);
    const { page } = await open(`${scheduler.url}/admin/#/jobs/re-engagement`);
    await page.getByLabel(/^Payload for this run/).fill('{"inactiveDays": 30');
    await page.getByRole('button', { name: 'Run now' }).click();
    await shown(page.getByRole('alert').getByText(/payload is not JSON/));
    await page.getByLabel(/^Payload for this run/).fill('{"inactiveDays": 30}');
    await page.getByRole('button', { name: 'Run now' }).click();
    const failedId = (await (await shown(page.getByRole('status').getByRole('link'))).innerText()).trim();
    await target.waitForCalls('/api/jobs/re-engagement', 1);
    expect(target.calls('/api/jobs/re-engagement')[0]!.json).toMatchObject({ payload: { inactiveDays: 30 } });
    await shown(page.locator(`tr[data-execution="${failedId}"] .status-failed`));
    target.answer('/api/jobs/re-engagement', [{ status: 200, body: '{"sent":3}' }]);

    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByLabel('Failing').selectOption({ label: 'last run failed' });
    await page.locator('tr[data-job="weekly-digest"]').waitFor({ state: 'detached' });
    const failing = await shown(page.locator('tr[data-job="re-engagement"]'));
    await shown(failing.getByRole('img', { name: /1 failed/ }));
    expect(await page.locator('tr[data-job]').count()).toBe(1);

    await page.getByRole('link', { name: 'Failures' }).click();
    const row = await shown(page.locator(`tr[data-execution="${failedId}"]`));
    await expect(row.innerText()).resolves.toMatch(/failed[\s\S]*422/);
    await record(page, 'console-failures');

    await row.getByRole('link').first().click();
    await shown(page.getByRole('heading', { name: /Run of re-engagement/ }));
    await shown(page.getByText('mailbox full'));
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.waitForURL((url) => url.hash.startsWith('#/executions/') && !url.hash.endsWith(failedId));
    await shown(page.locator('.lead .status-succeeded'));
    await shown(page.locator('dd').getByRole('link', { name: failedId }));
    await shown(page.getByText('{"sent":3}'));
    const retryId = decodeURIComponent(new URL(page.url()).hash.slice('#/executions/'.length));
    await record(page, 'console-execution');

    await page.locator('dd').getByRole('link', { name: failedId }).click();
    await shown(page.locator('dd').getByRole('link', { name: retryId }));
    await page.getByRole('link', { name: 'Failures' }).click();
    const retried = page.locator(`tr[data-execution="${failedId}"] td[data-label="Retried since"]`);
    await shown(retried.locator('.status-succeeded'));
    expect(await retried.getByRole('link', { name: 'retry' }).getAttribute('href')).toBe(
      `#/executions/${encodeURIComponent(retryId)}`,
    );
  });

  test("a long-running run shows a running bar with its service's progress; Cancel ends it, naming who", async () => {
    const api = apiClient(scheduler.url);
    const name = uniqueName('digest-async');
    target.answer(`/${name}`, [{ status: 202 }]);
    await registerNew(api, { name, service: 'email-service', endpoint: `/${name}`, cron: '0 0 1 1 *', async: true });
    const id = (await api.trigger(name)).body.execution.id;
    await target.waitForCalls(`/${name}`, 1);
    const progress = { sent: 40, total: 100 };
    expect((await api.call('POST', `/api/executions/${id}/heartbeat`, { progress, attempt: 1 })).status).toBe(200);

    const { page } = await open(`${scheduler.url}/admin/#/executions/${encodeURIComponent(id)}`);
    const running = await shown(page.getByRole('region', { name: 'Running' }));
    await shown(running.getByText(/attempt 1/));
    expect(await running.getByRole('progressbar').getAttribute('value')).toBe('0.4');
    await shown(running.getByText('"sent": 40'));
    await record(page, 'console-running');
    await running.getByRole('button', { name: 'Cancel run' }).click();
    await shown(page.locator('.lead .status-cancelled'));
    await shown(page.getByText('cancelled by anonymous'));
    expect(await page.getByRole('region', { name: 'Running' }).count()).toBe(0);
    expect((await api.call('DELETE', `/api/jobs/${name}`)).status).toBe(204);
  });

  test('pause with a note shows the note on the job and in the list; resume clears it', async () => {
    const { page } = await open(`${scheduler.url}/admin/#/jobs/weekly-digest`);
    await (await shown(page.getByLabel(/^Note/))).fill('holiday freeze until Monday');
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await shown(page.locator('.paused').getByText('holiday freeze until Monday'));
    await shown(page.getByText('None while paused.'));
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    const row = await shown(page.locator('tr[data-job="weekly-digest"]'));
    await shown(row.locator('.badge').getByText('Paused'));
    await shown(row.getByText('holiday freeze until Monday'));
    await row.getByRole('link', { name: 'weekly-digest' }).click();
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await shown(page.getByRole('status').getByText('Resumed.'));
    await page.locator('.paused').waitFor({ state: 'detached' });
  });

  test("the job page says its alert rules in words: the configured defaults, the dead-man's switch from the schedule", async () => {
    const { page } = await open(`${scheduler.url}/admin/#/jobs/weekly-digest`);
    const rules = page.getByRole('region', { name: 'Alert rules' });
    await shown(
      rules.getByText(
        'Alerts when a run fails; after 3 failures in a row; when no run succeeds for 14 days (from the schedule); when occurrences are missed.',
        { exact: false },
      ),
    );
    await shown(
      rules.getByText('To: nowhere (no destination configured in SCHEDULER_ALERT_WEBHOOKS).', { exact: false }),
    );
  });

  test('backfill: two past Mondays of the weekly digest run, and show up as backfill runs', async () => {
    const { page } = await open(`${scheduler.url}/admin/#/jobs/weekly-digest`);
    const now = Date.now();
    await (await shown(page.getByLabel('From (your time)'))).fill(inputValue(now - 14 * 86_400_000 + 120_000));
    await page.getByLabel('To (your time)').fill(inputValue(now - 60_000));
    await page.getByRole('button', { name: 'Backfill' }).click();
    await shown(page.getByRole('status').getByText('Backfill started 2 runs; 0 already ran and were skipped.'));
    await target.waitForCalls('/api/jobs/weekly-digest', 2);
    const backfilled = page
      .locator('tr[data-execution]')
      .filter({ hasText: 'backfill by anonymous', has: page.locator('.status-succeeded') });
    await eventually(
      () => backfilled.count(),
      (n) => n === 2,
      LIVE_MS,
    );
    expect(await backfilled.count()).toBe(2);
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    const digest = await shown(page.locator('tr[data-job="weekly-digest"]'));
    await shown(digest.getByRole('img', { name: 'Last 2 runs, oldest first: 2 succeeded' }));
    expect(await digest.locator('.mark.status-succeeded').count()).toBe(2);
    expect(await digest.locator('td[data-label="Success"]').innerText()).toMatch(/100 %\s+2 runs/);
    await saveScreenshot(page, 'console-jobs-with-runs'); // the README's picture (docs/images/console.png)
  });

  test("a job's page shows its open alert with its delivery, and its last day as marks coloured by fate", async () => {
    const name = uniqueName('nightly-export');
    const api = apiClient(scheduler.url);
    // every 5 seconds, registered disabled: each nominal time from now on is `paused`
    await registerNew(api, {
      service: 'email-service',
      name,
      endpoint: '/api/jobs/nightly-export',
      cron: '*/5 * * * * *',
      enabled: false,
    });
    try {
      // the episode as the watch's activity writes it, through the store, into the mirror this scheduler reads
      const mirror = createSqliteStore(path.join(scheduler.dataDir, 'scheduler.db'));
      const openedAt = new Date(Date.now() - 600_000).toISOString();
      const alertId = `${name}:consecutive_failures:1`;
      try {
        await mirror.recordAlert({
          id: alertId,
          jobName: name,
          service: 'email-service',
          rule: { type: 'consecutive_failures', count: 3 },
          state: 'open',
          summary: `${name} failed 3 times in a row`,
          openedAt,
          resolvedAt: null,
          runs: [],
          deliveries: [{ destination: 'ops', kind: 'firing', status: 'delivered', at: openedAt, detail: '200' }],
          updatedAt: openedAt,
        });
      } finally {
        await mirror.close();
      }
      await eventually(
        () => api.call<Static<typeof LedgerReply>>('GET', `/api/jobs/${name}/occurrences`),
        (r) => r.status === 200 && (r.body.counts.paused ?? 0) > 0,
        LIVE_MS,
      );

      const { page } = await open(`${scheduler.url}/admin/#/jobs/${name}`);
      const alerts = await shown(page.getByRole('region', { name: 'Open alerts (1)' }));
      await shown(alerts.getByText('3 failed runs in a row'));
      await shown(alerts.getByText(`${name} failed 3 times in a row`));
      await shown(alerts.getByText('ops: delivered (200)'));
      const strip = await shown(
        page.getByRole('img', {
          // a job every 5 s has 17,280 times a day: the strip draws the latest 1,440
          name: /^the latest 1440 of 17280 nominal times up to .*, oldest first; in the window: \d+ paused/,
        }),
      );
      const paused = strip.locator('.mark.fate-paused');
      expect(await paused.count()).toBeGreaterThan(0);
      expect(await strip.locator('.mark').count()).toBe(1440);
      expect(await paused.first().getAttribute('title')).toMatch(/: paused\. \S/);
      // the legend says in words what the colours say
      await shown(page.getByRole('list', { name: 'Fates' }).getByText('paused'));
      await record(page, 'console-job-alert-and-ledger');

      await page.getByRole('link', { name: 'Alerts', exact: true }).click();
      const row = await shown(page.locator(`tr[data-alert="${alertId}"]`));
      await shown(row.getByText('3 failed runs in a row'));
      await row.getByRole('link', { name }).click();
      await shown(page.getByRole('region', { name: 'Open alerts (1)' }));
    } finally {
      await deleteSchedules(scheduler.client, [name]);
    }
  });

  test('Fleet: five jobs on one second against a start rate of 4 are a flagged herd, linked to its jobs', async () => {
    const api = apiClient(scheduler.url);
    // 45 minutes ahead, never a quarter hour (queue-cleanup's): within the view's hour, after this test ends
    let minute = (new Date().getUTCMinutes() + 45) % 60;
    if (minute % 15 === 0) minute = (minute + 1) % 60;
    const herd = Array.from({ length: 5 }, (_, i) => uniqueName(`herd-${i}`));
    try {
      for (const name of herd) {
        await registerNew(api, { name, service: 'email-service', endpoint: `/${name}`, cron: `${minute} * * * *` });
      }
      const { page } = await open(`${scheduler.url}/admin/`);
      await (await shown(page.getByRole('link', { name: 'Fleet' }))).click();
      await shown(page.getByRole('heading', { name: 'Fleet', level: 1 }));
      const row = await shown(page.locator('tr[data-herd]'));
      const at = new Date((await row.getAttribute('data-herd'))!);
      expect(at.getUTCMinutes()).toBe(minute);
      expect(at.getUTCSeconds()).toBe(0);
      await expect(row.locator('td[data-label="Fires"]').innerText()).resolves.toBe('5');
      await expect(row.locator('td[data-label="Last start"]').innerText()).resolves.toBe('up to 1.3 s late');
      await shown(page.getByText(/Set spreadSeconds/));
      await shown(page.getByRole('figure').getByText(/1 minute holds a herd \(more than the start rate, 4 a second\)/));
      await record(page, 'console-fleet');
      await row.getByRole('link', { name: herd[0]! }).click();
      await shown(page.getByRole('heading', { name: herd[0]!, level: 1 }));
      await shown(page.getByText('none: fires at the times its cron names'));
    } finally {
      for (const name of herd) await api.call('DELETE', `/api/jobs/${name}`); // the mirror's rows too: later lists stay as they were
    }
  });

  test('at 375 px wide the jobs list, a job and Failures fit the screen', async () => {
    const { page } = await open(`${scheduler.url}/admin/`, { width: 375 });
    await shown(page.locator('tr[data-job="weekly-digest"]'));
    const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth');
    expect(await overflow()).toBeLessThanOrEqual(375);
    await saveScreenshot(page, 'console-jobs-375px');
    await page.getByRole('link', { name: 're-engagement' }).click();
    await shown(page.getByRole('heading', { name: 'Runs' }));
    await shown(page.locator('tr[data-execution]'));
    expect(await overflow()).toBeLessThanOrEqual(375);
    await page.getByRole('link', { name: 'Failures' }).click();
    await shown(page.locator('tr[data-execution]'));
    expect(await overflow()).toBeLessThanOrEqual(375);
    await record(page, 'console-failures-375px');
  });

  test('under the ingress prefix /scheduler/: the same journey, every request under the prefix', async () => {
    const base = `${proxy.url}/scheduler`;
    const { page, requests } = await open(`${base}/admin`);
    expect(page.url()).toBe(`${base}/admin/`);
    for (const job of EMAIL_JOBS) await shown(page.locator(`tr[data-job="${job.name}"]`));
    await page.getByRole('link', { name: 're-engagement' }).click();
    // a failure, found in Failures and retried from there as a selection
    target.answer('/api/jobs/re-engagement', [{ status: 422, body: '{"error":"bounced"}' }]);
    await page.getByRole('button', { name: 'Run now' }).click();
    const failedId = (await (await shown(page.getByRole('status').getByRole('link'))).innerText()).trim();
    await shown(page.locator(`tr[data-execution="${failedId}"] .status-failed`));
    target.answer('/api/jobs/re-engagement', [{ status: 200 }]);
    // two past occurrences of the daily 10:00
    const now = Date.now();
    await page.getByLabel('From (your time)').fill(inputValue(now - 2 * 86_400_000 + 120_000));
    await page.getByLabel('To (your time)').fill(inputValue(now - 60_000));
    await page.getByRole('button', { name: 'Backfill' }).click();
    await shown(page.getByRole('status').getByText('Backfill started 2 runs; 0 already ran and were skipped.'));

    await page.getByRole('link', { name: 'Failures' }).click();
    const row = await shown(page.locator(`tr[data-execution="${failedId}"]`));
    await row.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Retry 1 selected' }).click();
    await shown(page.getByRole('status').getByText(/Started 1 retry/));
    await page.getByRole('status').getByRole('link', { name: 're-engagement' }).click();
    await shown(page.locator('.lead .status-succeeded'));
    await shown(page.locator('dd').getByRole('link', { name: failedId }));

    expect(requests.filter((url) => !url.startsWith(`${base}/`))).toEqual([]);
    expect(requests.some((url) => url.startsWith(`${base}/api/jobs`))).toBe(true);
  });
});

describe('the admin console with tokens, in Chromium', () => {
  const ADMIN = 'admin-token-console-0123456789';
  const EMAIL = 'email-token-console-0123456789';
  const emailJob = uniqueName('console-mail');
  const crawlJob = uniqueName('console-crawl');
  let target: Target;
  let scheduler: TestScheduler;
  let browser: Browser;

  beforeAll(async () => {
    [target, browser] = await Promise.all([startTarget(), launchBrowser()]);
    scheduler = await startTestScheduler({
      EMAIL_SERVICE_URL: target.url,
      CRAWLER_SERVICE_URL: target.url,
      SCHEDULER_ADMIN_TOKENS: `ops=${ADMIN}`,
      SCHEDULER_SERVICE_TOKENS: `email-service=${EMAIL}`,
    });
    const api = apiClient(scheduler.url, ADMIN);
    for (const [name, service] of [
      [emailJob, 'email-service'],
      [crawlJob, 'crawler-service'],
    ]) {
      await registerNew(api, { name, service, endpoint: `/jobs/${name}`, cron: '0 3 * * *' });
    }
    // a failed run of the email job, for the service's Failures page
    target.answer(`/jobs/${emailJob}`, [{ status: 422, body: '{"error":"nope"}' }]);
    await api.finished((await api.trigger(emailJob)).body.execution.id);
  });

  afterAll(async () => {
    await browser?.close();
    await deleteSchedules(scheduler.client, [emailJob, crawlJob]);
    await scheduler?.stop();
    await target?.close();
  });

  test('the page asks for a token, says so plainly when it is wrong, and keeps it out of URLs and cookies', async () => {
    const { page, context, problems } = await visit(browser, `${scheduler.url}/admin/`);
    await (await shown(page.getByLabel('Token'))).fill('not-a-token-at-all-0000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await shown(page.getByRole('alert').getByText(/did not accept your token/));
    await record(page, 'console-sign-in');
    await page.getByLabel('Token').fill(ADMIN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await shown(page.locator(`tr[data-job="${crawlJob}"]`));
    await shown(page.locator(`tr[data-job="${emailJob}"]`));
    await shown(page.getByText('Admin ops'));
    expect(page.url()).not.toContain(ADMIN);
    expect(await context.cookies()).toEqual([]);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await shown(page.getByLabel('Token'));
    expect(problems).toEqual([]);
    await context.close();
  });

  test("a service's token sees only its own jobs and runs, and no admin buttons", async () => {
    const { page, context, problems } = await visit(browser, `${scheduler.url}/admin/`);
    await (await shown(page.getByLabel('Token'))).fill(EMAIL);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await shown(page.locator(`tr[data-job="${emailJob}"]`));
    await shown(page.getByText('Service email-service'));
    expect(await page.locator('tr[data-job]').count()).toBe(1);
    expect(await page.getByLabel('Service', { exact: true }).count()).toBe(0);
    await page.getByRole('link', { name: emailJob }).click();
    await shown(page.getByRole('heading', { name: 'Definition' }));
    expect(await page.getByRole('heading', { name: 'Actions' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Run now|Pause|Delete|Backfill/ }).count()).toBe(0);
    await page.getByRole('link', { name: 'Failures' }).click();
    const row = await shown(page.locator('tr[data-execution]'));
    await expect(row.innerText()).resolves.toContain(emailJob);
    expect(await page.getByRole('button', { name: /Retry/ }).count()).toBe(0);
    await row.getByRole('link').first().click();
    await shown(page.getByText('nope'));
    expect(await page.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    await page.goto(`${scheduler.url}/admin/#/jobs/${crawlJob}`);
    await shown(page.getByRole('alert').getByText(/Not found/));
    expect(problems).toEqual([]);
    await context.close();
  });
});
