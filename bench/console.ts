import { readdirSync, readFileSync, mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import { freeLoopbackPort } from '../devserver/dev-server';
import {
  untilSteady,
  atRate,
  describeSummary,
  get,
  register,
  sleep,
  startScheduler,
  startTarget,
  summarize,
  timedPool,
  startBenchTemporal,
  writeResults,
} from './harness';

/**
 * `npm run bench:console`: the admin console's three figures, on this machine.
 *
 * 1. First-load size: the gzip size of what `/admin/` loads (dist/console: the page, its script and its styles).
 * 2. Time to the first page with `BENCH_CONSOLE_JOBS` (10,000) jobs registered: a cold Debian Chromium tab
 *    (playwright-core, no cache) from navigation to the first job's name on screen, `BENCH_CONSOLE_LOADS` times; and
 *    the API requests that load made (the page must ask for one page of jobs, never all of them).
 * 3. The API's tail with `BENCH_CONSOLE_TABS` (100) consoles open: the requests one real console tab makes while it
 *    sits on the jobs list are recorded for `BENCH_CONSOLE_RECORD_SECONDS`, then replayed by that many simulated
 *    tabs at the same rate, each at a random phase, while `GET /api/jobs/:name` is measured at `BENCH_READ_RATE`/s
 *    (200) for `BENCH_READ_SECONDS` (40) in all; the same measure without them is the baseline, taken in turn with it
 *    (`BENCH_CONSOLE_ROUNDS`, 4), so that a stall of the machine lands on either alike. Simulated tabs, because 100
 *    real ones would spend the 2 cores on rendering, not on the API under test.
 *
 * The scheduler runs as deployed (node dist/main.js, the pod's Node settings, embedded SQLite) against its own dev
 * server. Figures are printed and written to bench/results/console-<time>.json.
 */
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const JOBS = env('BENCH_CONSOLE_JOBS', 10_000);
const LOADS = env('BENCH_CONSOLE_LOADS', 5);
const TABS = env('BENCH_CONSOLE_TABS', 100);
const RECORD_SECONDS = env('BENCH_CONSOLE_RECORD_SECONDS', 30);
const READ_RATE = env('BENCH_READ_RATE', 200);
const READ_SECONDS = env('BENCH_READ_SECONDS', 40);
/** Alternations of the measure without and with the consoles (`READ_SECONDS` is split among them). */
const ROUNDS = env('BENCH_CONSOLE_ROUNDS', 4);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BROWSER_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
];
const SERVICE = 'bench-service';
/** Job names in list order, so the first page's first row is `jobName(0)`. */
const jobName = (i: number) => `console-${String(i).padStart(5, '0')}`;

/** The gzip size of each file the console's page loads, in bytes. */
function firstLoadSize(): { files: Record<string, { bytes: number; gzipBytes: number }>; gzipBytes: number } {
  const dir = path.resolve(__dirname, '..', 'console');
  const files: Record<string, { bytes: number; gzipBytes: number }> = {};
  let total = 0;
  // the page, script and stylesheet; not their precompressed .gz/.br twins
  for (const file of readdirSync(dir).filter((f) => !/\.(gz|br)$/.test(f))) {
    const content = readFileSync(path.join(dir, file));
    const gzipBytes = gzipSync(content, { level: 9 }).length;
    files[file] = { bytes: content.length, gzipBytes };
    total += gzipBytes;
  }
  return { files, gzipBytes: total };
}

/** Cold loads of `/admin/` until the first job's name shows; each one's time and the API requests it made. */
async function timeToFirstPage(browser: Browser, api: string) {
  const times: number[] = [];
  let requests: string[] = [];
  let phases: Record<string, number> = {};
  for (let i = 0; i < LOADS; i++) {
    const context = await browser.newContext(); // a new profile: nothing cached
    const page = await context.newPage();
    const seen: string[] = [];
    page.on('request', (req) => {
      if (req.url().includes('/api/')) seen.push(req.url().slice(api.length));
    });
    const started = performance.now();
    await page.goto(`${api}/admin/`);
    await page.getByText(jobName(0), { exact: true }).first().waitFor({ timeout: 30_000 });
    times.push(performance.now() - started);
    requests = seen;
    // where the time went, as the page's own clock saw it: ms from navigation start to each response's end
    phases = await page.evaluate(() =>
      Object.fromEntries(
        performance
          .getEntries()
          .filter((e) => 'responseEnd' in e)
          .map((e) => [
            e.name.replace(/^.*\/(admin|api)\//, '$1/'),
            Math.round((e as { responseEnd: number }).responseEnd),
          ]),
      ),
    );
    await context.close();
  }
  return { loads: summarize(times), requests, phases };
}

/** What one console tab asks the API for while it sits on the jobs list: each URL and how often, per second. */
async function recordPolling(browser: Browser, api: string): Promise<{ url: string; perSecond: number }[]> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${api}/admin/`);
  await page.getByText(jobName(0), { exact: true }).first().waitFor({ timeout: 30_000 });
  const counts = new Map<string, number>();
  page.on('request', (req) => {
    if (!req.url().includes('/api/')) return;
    const url = req.url().slice(api.length);
    counts.set(url, (counts.get(url) ?? 0) + 1);
  });
  await sleep(RECORD_SECONDS * 1000);
  await context.close();
  return [...counts].map(([url, n]) => ({ url, perSecond: n / RECORD_SECONDS }));
}

/** `tabs` simulated consoles replaying `polls`, each at a random phase, until `signal` aborts. */
async function simulateConsoles(
  api: string,
  tabs: number,
  polls: { url: string; perSecond: number }[],
  signal: AbortSignal,
) {
  let sent = 0;
  const tab = async () => {
    for (const poll of polls) {
      const period = 1000 / poll.perSecond;
      void (async () => {
        await sleep(Math.random() * period);
        while (!signal.aborted) {
          await get(`${api}${poll.url}`).catch(() => undefined);
          sent++;
          await sleep(period);
        }
      })();
    }
  };
  await Promise.all(Array.from({ length: tabs }, tab));
  return () => sent;
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'scheduler-console-bench-'));
  const dev = await startBenchTemporal(dir);
  const target = await startTarget();
  const scheduler = await startScheduler({
    port: await freeLoopbackPort(),
    env: { TEMPORAL_ADDRESS: dev.address, SCHEDULER_DATA_DIR: path.join(dir, 'data'), BENCH_SERVICE_URL: target.url },
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: BROWSER_FLAGS });
  try {
    const size = firstLoadSize();
    console.log(`first load: ${(size.gzipBytes / 1024).toFixed(1)} KiB gzip (${JSON.stringify(size.files)})`);

    console.log(`registering ${JOBS} jobs…`);
    const quiet = '0 3 1 1 *'; // never fires during the bench
    await timedPool(JOBS, 20, (i) =>
      register(scheduler.url, { name: jobName(i), service: SERVICE, endpoint: '/noop', cron: quiet }),
    );

    const names = Array.from({ length: JOBS }, (_, i) => jobName(i));
    await untilSteady(scheduler.url, names);

    const first = await timeToFirstPage(browser, scheduler.url);
    console.log(`time to first page with ${JOBS} jobs (cold tab): ${describeSummary(first.loads)}`);
    console.log(`  API requests of one load: ${first.requests.join(', ')}`);
    console.log(`  the last load's responses, ms after navigation start: ${JSON.stringify(first.phases)}`);

    const polls = await recordPolling(browser, scheduler.url);
    const perTab = polls.reduce((sum, p) => sum + p.perSecond, 0);
    console.log(`one console on the jobs list polls ${perTab.toFixed(2)} requests/s: ${JSON.stringify(polls)}`);

    // without and with the consoles in turn, ROUNDS times: a stall of the machine lands on either alike
    const probe = () =>
      atRate(READ_RATE, READ_SECONDS / ROUNDS, () =>
        get(`${scheduler.url}/api/jobs/${names[Math.floor(Math.random() * names.length)]}`),
      );
    const without: number[] = [];
    const withTabs: number[] = [];
    let polled = 0;
    for (let round = 0; round < ROUNDS; round++) {
      without.push(...(await probe()));
      const stop = new AbortController();
      const sent = await simulateConsoles(scheduler.url, TABS, polls, stop.signal);
      await sleep(1000); // the tabs are polling
      withTabs.push(...(await probe()));
      stop.abort();
      polled += sent();
      await sleep(1000); // their last polls are answered
    }
    const baseline = summarize(without);
    const withConsoles = summarize(withTabs);
    console.log(`GET /api/jobs/:name at ${READ_RATE}/s, no console open: ${describeSummary(baseline)}`);
    console.log(
      `GET /api/jobs/:name at ${READ_RATE}/s, ${TABS} consoles open (${(TABS * perTab).toFixed(1)} polls/s, ` +
        `${polled} sent): ${describeSummary(withConsoles)}; p99 ${(withConsoles.p99 - baseline.p99).toFixed(1)} ms ` +
        'from the baseline',
    );

    const results = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      firstLoad: size,
      jobs: JOBS,
      timeToFirstPage: first,
      pollingPerTab: polls,
      probe: { rate: READ_RATE, seconds: READ_SECONDS, rounds: ROUNDS, baseline, tabs: TABS, withConsoles },
    };
    writeResults('console', results);
  } finally {
    await browser.close();
    await scheduler.stop();
    await target.close();
    await dev.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
