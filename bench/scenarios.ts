import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { scheduleIdOf } from '../jobs/ids';
import { MAX_SPREAD_SECONDS, spreadOffsetOf } from '../jobs/spread';
import { normalizeJob } from '../jobs/validate';
import type { RunJobInput } from '../jobs/run-input';
import { toScheduleOptions } from '../temporal/schedule-options';
import {
  atRate,
  describeSummary,
  memorySplit,
  metricsText,
  metricValue,
  ms,
  percentile,
  register,
  sleep,
  summarize,
  timed,
  timedPool,
  type Arrival,
  type Target,
  untilQuiet,
  untilSteady,
} from './harness';
import { MIRROR_OFF_TASK_QUEUE } from './mirror-off-worker';
import { WorkflowType } from '../jobs/workflow-types';

/** What every scenario runs against: one dev server, one scheduler process, one recording target. */
export interface BenchContext {
  client: Client;
  /** The scheduler's base URL. */
  api: string;
  /** The scheduler's process id. */
  pid: number;
  target: Target;
  /** The jobs registered through the API and not deleted (the reads scenario tops them up). */
  jobs: Set<string>;
}

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SERVICE = 'bench-service';
/** A cron that never fires during a run. */
const QUIET_CRON = '0 3 1 1 *';
const jobBody = (name: string, cron = QUIET_CRON) => ({ name, service: SERVICE, endpoint: '/noop', cron });
const log = (line: string) => console.log(`  ${line}`);

/**
 * Registration latency through the API against a raw ScheduleClient.create of the same schedule: sequential
 * (alternating, so drift of the shared dev server falls on both alike), then `BENCH_CLIENTS` concurrent clients.
 */
export async function registration(ctx: BenchContext) {
  const count = env('BENCH_REGISTRATIONS', 200);
  const clients = env('BENCH_CLIENTS', 20);
  const services = new Map([[SERVICE, ctx.target.url]]);
  // the very schedule the API creates (its search attributes, policies and note), under an id the scheduler's
  // reconciler leaves alone: the ratio is what the API adds, not what the schedule costs
  const rawCreate = async (name: string) => {
    const options = toScheduleOptions(normalizeJob(jobBody(name), services), 'scheduler');
    await ctx.client.schedule.create({ ...options, scheduleId: `bench-raw-${name}` });
  };
  const apiRegister = async (name: string) => {
    await register(ctx.api, jobBody(name));
    ctx.jobs.add(name);
  };
  const raw: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i < count; i++) {
    raw.push(await timed(() => rawCreate(`raw-${i}`)));
    ours.push(await timed(() => apiRegister(`api-${i}`)));
  }
  // the HTTP hop alone (fetch → Fastify → a 404), to tell it apart from what registration itself adds
  const hop: number[] = [];
  for (let i = 0; i < count; i++) {
    hop.push(await timed(async () => void (await (await fetch(`${ctx.api}/no-such-route`)).arrayBuffer())));
  }
  const rawConcurrent = await timedPool(count, clients, (i) => rawCreate(`raw-c-${i}`));
  const oursConcurrent = await timedPool(count, clients, (i) => apiRegister(`api-c-${i}`));
  const result = {
    count,
    sequential: { api: summarize(ours), raw: summarize(raw), httpHop: summarize(hop) },
    concurrent: { clients, api: summarize(oursConcurrent), raw: summarize(rawConcurrent) },
  };
  const { sequential: s, concurrent: c } = result;
  log(
    `(a) register ×${count}, sequential: API ${describeSummary(s.api)}; raw create ${describeSummary(s.raw)}; ` +
      `ratio p50 ${(s.api.p50 / s.raw.p50).toFixed(2)} (goal ≤ 1.25); the HTTP hop alone p50 ${ms(s.httpHop.p50)}`,
  );
  log(
    `(a) register ×${count}, ${clients} concurrent clients: API ${describeSummary(c.api)}; raw ${describeSummary(c.raw)}; ` +
      `ratio p50 ${(c.api.p50 / c.raw.p50).toFixed(2)} (goal ≤ 1.25), p99 +${ms(c.api.p99 - c.raw.p99)} (goal ≤ +10 ms)`,
  );
  return result;
}

/**
 * Completed executions per second: bursts started directly, alternating runJob (call + mirror), the bare
 * one-activity workflow making the same call, and runJob on a worker whose mirror writes are no-ops.
 */
export async function throughput(ctx: BenchContext) {
  const executions = env('BENCH_EXECUTIONS', 200);
  const rounds = env('BENCH_ROUNDS', 3);
  const job = normalizeJob(jobBody('throughput'), new Map([[SERVICE, ctx.target.url]]));
  const input: RunJobInput = { job, trigger: 'manual', triggeredBy: 'bench', retryOf: null };
  const runJobOn = (taskQueue: string) => () =>
    ctx.client.workflow.start(WorkflowType.runJob, {
      taskQueue,
      workflowId: `job-run-throughput-manual-${randomUUID()}`,
      args: [input],
    });
  const kinds = {
    runJob: runJobOn('scheduler'),
    bare: () =>
      ctx.client.workflow.start('bareCall', {
        taskQueue: 'bench-bare',
        workflowId: `bare-${randomUUID()}`,
        args: [`${ctx.target.url}/noop`],
      }),
    mirrorOff: runJobOn(MIRROR_OFF_TASK_QUEUE),
  };
  const burst = async (start: () => Promise<{ result(): Promise<unknown> }>, count: number) => {
    const t = performance.now();
    const handles = await Promise.all(Array.from({ length: count }, start));
    await Promise.all(handles.map((h) => h.result()));
    return count / ((performance.now() - t) / 1000);
  };
  for (const start of Object.values(kinds)) await burst(start, 50); // warm-up
  const rates = { runJob: [] as number[], bare: [] as number[], mirrorOff: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    for (const [kind, start] of Object.entries(kinds))
      rates[kind as keyof typeof rates].push(await burst(start, executions));
  }
  const median = (xs: number[]) => percentile(xs, 50);
  const result = {
    executions,
    rounds,
    perSecond: rates,
    ratioToBare: median(rates.runJob) / median(rates.bare),
    mirrorOnToOff: median(rates.runJob) / median(rates.mirrorOff),
  };
  const fmt = (xs: number[]) => `${median(xs).toFixed(1)}/s (${xs.map((r) => r.toFixed(1)).join(', ')})`;
  log(
    `(b) ${rounds} rounds of ${executions}-execution bursts, median: runJob ${fmt(rates.runJob)}, bare one-activity ` +
      `workflow ${fmt(rates.bare)}, runJob with no-op mirror writes ${fmt(rates.mirrorOff)}; ratio to bare ` +
      `${result.ratioToBare.toFixed(2)} (goal ≥ 0.8), mirror on/off ${result.mirrorOnToOff.toFixed(2)} (goal ≥ 0.85)`,
  );
  return result;
}

/** Arrivals of `jobs` scheduled in [from, to), and the occurrences that never arrived. */
function arrivalsIn(arrivals: readonly Arrival[], jobs: ReadonlySet<string>, from: number, to: number) {
  return arrivals.filter(
    (a) => jobs.has(a.job) && a.scheduledAt !== null && a.scheduledAt >= from && a.scheduledAt < to,
  );
}

/** Resolves once the target has received no call for `ms`. */
async function quiet(target: Target, ms: number): Promise<void> {
  for (;;) {
    const last = target.arrivals[target.arrivals.length - 1]?.at ?? 0;
    if (Date.now() - last >= ms) return;
    await sleep(1000);
  }
}

async function registerAll(ctx: BenchContext, bodies: { name: string }[]) {
  await timedPool(bodies.length, 20, async (i) => {
    await register(ctx.api, bodies[i]!);
    ctx.jobs.add(bodies[i]!.name);
  });
}

async function removeJob(ctx: BenchContext, name: string) {
  const res = await fetch(`${ctx.api}/api/jobs/${name}`, { method: 'DELETE' });
  await res.arrayBuffer();
  if (res.ok) ctx.jobs.delete(name);
}

/**
 * Lateness: `BENCH_LATENESS_JOBS` (n) jobs, each on a second of its own in an n-second cycle (`@every <n>s/<i>s`: one
 * job a second), for `BENCH_LATENESS_MINUTES`: arrival at the target minus the scheduled time.
 */
export async function lateness(ctx: BenchContext) {
  const jobs = env('BENCH_LATENESS_JOBS', 1000);
  const minutes = env('BENCH_LATENESS_MINUTES', 10);
  const names = Array.from({ length: jobs }, (_, i) => `late-${i}`);
  await registerAll(
    ctx,
    names.map((name, i) => jobBody(name, `@every ${jobs}s/${i}s`)),
  );
  const from = Math.ceil(Date.now() / 1000) * 1000 + 2000;
  const to = from + minutes * 60_000;
  await sleep(to - Date.now());
  // what Temporal itself counted, read as each schedule goes: no occurrence after the window; runs started go on
  const explained = await countThenRemove(ctx, names);
  await quiet(ctx.target, 15_000);
  const arrived = arrivalsIn(ctx.target.arrivals, new Set(names), from, to);
  // one occurrence a second: epoch + k·n s + i s for every job i
  const expected = (to - from) / 1000;
  const seen = new Set(arrived.map((a) => a.scheduledAt));
  const absent: number[] = [];
  for (let t = from; t < to; t += 1000) if (!seen.has(t)) absent.push((t - from) / 1000);
  const late = summarize(arrived.map((a) => a.at - a.scheduledAt!));
  const result = {
    jobs,
    minutes,
    expected,
    arrived: arrived.length,
    absentAtSecond: absent,
    ...explained,
    latenessMs: late,
  };
  log(
    `(d) ${jobs} jobs on distinct seconds for ${minutes} min: ${arrived.length} of ${expected} occurrences arrived` +
      `${absent.length ? ` (absent: second ${absent.join(', ')} of the window)` : ''}; Temporal counted ` +
      `${explained.skipped} skipped, ${explained.missed} missed; lateness ${describeSummary(late)} ` +
      '(goals p50 ≤ 250 ms, p99 ≤ 1 s, max ≤ 2 s)',
  );
  return result;
}

/**
 * The same second: `BENCH_SAME_SECOND_JOBS` jobs all at second 0 of every minute (`0 * * * * *`, six fields read
 * seconds first: docs/cron.md), for `BENCH_SAME_SECOND_MINUTES`: every job must arrive once for every occurrence,
 * none missed.
 */
export async function sameSecond(ctx: BenchContext) {
  const jobs = env('BENCH_SAME_SECOND_JOBS', 1000);
  const minutes = env('BENCH_SAME_SECOND_MINUTES', 2);
  const names = Array.from({ length: jobs }, (_, i) => `same-${i}`);
  await registerAll(
    ctx,
    names.map((name) => jobBody(name, '0 * * * * *')),
  );
  const from = Math.ceil((Date.now() + 5000) / 60_000) * 60_000;
  const to = from + minutes * 60_000;
  // the last occurrence starts at to - 60 s; wait for its runs until none has arrived for 15 s
  await sleep(to - Date.now());
  // no occurrence after the window; runs already started go on
  const explained = await countThenRemove(ctx, names);
  await quiet(ctx.target, 15_000);
  const arrived = arrivalsIn(ctx.target.arrivals, new Set(names), from, to);
  const seen = new Map<string, number>();
  for (const a of arrived) seen.set(`${a.job}@${a.scheduledAt}`, (seen.get(`${a.job}@${a.scheduledAt}`) ?? 0) + 1);
  const expected = jobs * minutes;
  const duplicates = [...seen.values()].filter((n) => n > 1).length;
  const late = summarize(arrived.map((a) => a.at - a.scheduledAt!));
  const result = {
    jobs,
    minutes,
    expected,
    arrivedOnce: seen.size,
    missed: expected - seen.size,
    temporalCounted: explained,
    duplicates,
    latenessMs: late,
  };
  log(
    `(e) ${jobs} jobs on the same second, ${minutes} occurrences each: ${seen.size} of ${expected} arrived ` +
      `(missed ${result.missed}, goal 0; Temporal counted ${explained.skipped} skipped, ${explained.missed} missed; duplicates ${duplicates}); lateness ${describeSummary(late)}`,
  );
  return result;
}

/**
 * Reads at `BENCH_READ_RATE` requests/s for `BENCH_READ_SECONDS` each, with `BENCH_READ_JOBS` jobs registered:
 * `GET /api/jobs/:name` of random jobs, then pages of 50 of `GET /api/jobs`.
 */
export async function reads(ctx: BenchContext) {
  const total = env('BENCH_READ_JOBS', 10_000);
  const rate = env('BENCH_READ_RATE', 200);
  const seconds = env('BENCH_READ_SECONDS', 20);
  const missing = Math.max(0, total - ctx.jobs.size);
  await registerAll(
    ctx,
    Array.from({ length: missing }, (_, i) => jobBody(`fill-${i}`)),
  );
  const names = [...ctx.jobs];
  await untilSteady(ctx.api, names);
  // registering thousands of jobs leaves work behind it: their alert watches start after the answers, at most 50 a
  // second (docs/performance.md); reads are measured once it is done, and how long that took is reported
  const settledMs = await untilQuiet(ctx.pid);
  // 10,000 jobs registered, their watches started, nothing asked: how much of the process's memory is the JS heap
  const quiet = await memorySplit(ctx.api);
  const pick = () => names[Math.floor(Math.random() * names.length)]!;
  // as the client sees it, and as the server timed it (its request histogram: queueing on a busy machine apart)
  // a request the scheduler sheds (503 overloaded) is counted apart: its latency is not a read's
  const measure = async (route: string, url: () => string) => {
    const textBefore = await metricsText(ctx.api);
    const gcBefore = gcTotals(textBefore);
    const before = requestBuckets(textBefore, route);
    const from = new Date();
    const answered: number[] = [];
    let shed = 0;
    await atRate(rate, seconds, async () => {
      const started = performance.now();
      const res = await fetch(url());
      await res.arrayBuffer();
      if (res.status === 503) shed++;
      else if (res.status !== 200) throw new Error(`GET ${res.url} answered ${res.status}`);
      else answered.push(performance.now() - started);
    });
    const textAfter = await metricsText(ctx.api);
    const process = {
      ...processWindow(textAfter, gcBefore),
      reconcilePasses: await passesDuring(ctx, from, new Date()),
    };
    const after = requestBuckets(textAfter, route);
    const share = (le: string) =>
      ((after.get(le) ?? 0) - (before.get(le) ?? 0)) / ((after.get('+Inf') ?? 0) - (before.get('+Inf') ?? 0));
    return {
      client: summarize(answered),
      shed,
      server: { within5ms: share('0.005'), within10ms: share('0.01'), within25ms: share('0.025') },
      process,
    };
  };
  const one = await measure('/api/jobs/:name', () => `${ctx.api}/api/jobs/${pick()}`);
  const page = await measure('/api/jobs', () => `${ctx.api}/api/jobs?limit=50&after=${pick()}`);
  const result = { jobs: names.length, rate, seconds, settledMs, quiet, oneJob: one, pageOf50: page };
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const fmt = (m: typeof one) =>
    `${describeSummary(m.client)}, ${m.shed} shed (503 overloaded); server-side ${pct(m.server.within5ms)} within 5 ms, ${pct(m.server.within10ms)} within 10 ms; ` +
    `meanwhile ${describeProcessWindow(m.process)}, ${m.process.reconcilePasses} reconciler pass(es)`;
  log(
    `(f) reads at ${rate}/s with ${names.length} jobs (goal p99 ≤ 10 ms), once the process was quiet ` +
      `(${(settledMs / 1000).toFixed(0)} s after the jobs were read; then RSS ${quiet.rssMiB.toFixed(1)} MiB, JS heap used ` +
      `${quiet.heapUsedMiB.toFixed(1)} of ${quiet.heapTotalMiB.toFixed(1)} MiB held): GET /api/jobs/:name ${fmt(one)}; ` +
      `a page of 50 ${fmt(page)}`,
  );
  return result;
}

/**
 * The reconciler's passes that ran during [from, to], from Temporal's visibility: its schedule fires every 10 minutes
 * on the clock, and a pass over 10,000 jobs works on the event loop the reads share for 20 to 45 s.
 */
async function passesDuring(ctx: BenchContext, from: Date, to: Date): Promise<number> {
  const query =
    `WorkflowType = "${WorkflowType.reconcile}" AND StartTime <= "${to.toISOString()}" AND ` +
    `(ExecutionStatus = "Running" OR CloseTime >= "${from.toISOString()}")`;
  return (await ctx.client.workflow.count(query)).count;
}

/** Garbage collections by kind (`major`, `minor`, `incremental`, `weakcb`): how many, and their total ms. */
type GcTotals = Record<string, { count: number; ms: number }>;

/** The scheduler's garbage collections so far, from prom-client's `nodejs_gc_duration_seconds` in a /metrics text. */
function gcTotals(text: string): GcTotals {
  const totals: GcTotals = {};
  for (const [, part, kind, value] of text.matchAll(
    /^nodejs_gc_duration_seconds_(sum|count)\{kind="(\w+)"\} (\S+)$/gm,
  )) {
    const entry = (totals[kind!] ??= { count: 0, ms: 0 });
    if (part === 'count') entry.count = Number(value);
    else entry.ms = Number(value) * 1000;
  }
  return totals;
}

/**
 * What the scheduler's process went through during a window that began at `before` and ends with the /metrics
 * `text`: its garbage collections by kind (count, total and mean ms), and how late its event loop ran (prom-client's
 * lag figures since its previous scrape, the one `before` came from: p99 and max, ms). The stalls a request's tail
 * can come from.
 */
function processWindow(text: string, before: GcTotals) {
  const ms = (name: string) => metricValue(text, name) * 1000;
  const gc = Object.fromEntries(
    Object.entries(gcTotals(text)).map(([kind, { count, ms: totalMs }]) => {
      const n = count - (before[kind]?.count ?? 0);
      const total = totalMs - (before[kind]?.ms ?? 0);
      return [kind, { count: n, totalMs: total, meanMs: n > 0 ? total / n : 0 }];
    }),
  );
  return {
    gc,
    loopLagP99Ms: ms('nodejs_eventloop_lag_p99_seconds'),
    loopLagMaxMs: ms('nodejs_eventloop_lag_max_seconds'),
  };
}

const describeProcessWindow = (w: ReturnType<typeof processWindow>) =>
  `${Object.entries(w.gc)
    .filter(([, g]) => g.count > 0)
    .map(([kind, g]) => `${g.count} ${kind} GC (mean ${g.meanMs.toFixed(1)} ms)`)
    .join(', ')}; event loop lag p99 ${w.loopLagP99Ms.toFixed(1)} ms, max ${w.loopLagMaxMs.toFixed(1)} ms`;

/**
 * Cumulative counts of the scheduler's request-duration histogram for GETs of `route` answered 200, by bucket, in a
 * /metrics `text`.
 */
function requestBuckets(text: string, route: string): Map<string, number> {
  const buckets = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('scheduler_api_request_duration_seconds_bucket{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    // a prefix's own route is labelled with its trailing slash (`/api/jobs/`)
    const sameRoute = labels.route?.replace(/\/$/, '') === route.replace(/\/$/, '');
    if (!sameRoute || labels.method !== 'GET' || labels.status_code !== '200') continue;
    buckets.set(labels.le!, Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return buckets;
}

/** One herd workload: its jobs' cron and spread, and how many of its occurrences the window holds. */
interface HerdWorkload {
  name: string;
  /** The cron, given the first whole minute of the window (ms since the epoch). */
  cron: (from: number) => string;
  spreadSeconds: number;
  minutes: number;
}

/**
 * The herd at the top of the hour (issue 17), on the start rate the scenario's Temporal has (run it in the `embedded`
 * mode: the embedded dev server's defaults). `BENCH_HERD_JOBS` (n) jobs on one cron, in four workloads, each on jobs
 * registered for it and deleted after: every minute (`* * * * *`) for `BENCH_HERD_MINUTES`, and once as at the top of
 * the hour (`M * * * *`, M the window's first minute: one occurrence each, as `0 * * * *` gives at :00), each with
 * `spreadSeconds: 59` and without. `BENCH_HERD_WORKLOADS` picks some by name. Each occurrence is due at its job's
 * spread-shifted time (jobs/spread.ts); lateness is the call's arrival minus that time, and the call's
 * `X-Scheduler-Scheduled-At` is checked to carry it.
 */
export async function herd(ctx: BenchContext) {
  const jobs = env('BENCH_HERD_JOBS', 1000);
  const minutes = env('BENCH_HERD_MINUTES', 3);
  const all: HerdWorkload[] = [
    { name: 'every-minute-spread', cron: () => '* * * * *', spreadSeconds: MAX_SPREAD_SECONDS, minutes },
    { name: 'top-of-hour-spread', cron: minuteCron, spreadSeconds: MAX_SPREAD_SECONDS, minutes: 1 },
    { name: 'top-of-hour-no-spread', cron: minuteCron, spreadSeconds: 0, minutes: 1 },
    { name: 'every-minute-no-spread', cron: () => '* * * * *', spreadSeconds: 0, minutes },
  ];
  const chosen = process.env.BENCH_HERD_WORKLOADS?.split(',') ?? all.map((w) => w.name);
  const results: Record<string, unknown> = { jobs };
  // the window's first minute is far enough ahead for the registrations before it (the first ones measure them)
  let registrationMs = 30_000;
  for (const workload of all.filter((w) => chosen.includes(w.name))) {
    const names = Array.from({ length: jobs }, (_, i) => `herd-${String(i).padStart(4, '0')}`);
    const from = Math.ceil((Date.now() + 1.5 * registrationMs + 5000) / 60_000) * 60_000;
    const to = from + workload.minutes * 60_000;
    const started = Date.now();
    await registerAll(
      ctx,
      names.map((name) => ({ ...jobBody(name, workload.cron(from)), spreadSeconds: workload.spreadSeconds })),
    );
    registrationMs = Date.now() - started;
    await sleep(to - Date.now());
    // the last occurrence is due by to - 1 s; each schedule goes right after what Temporal counted of it is read
    const explained = await countThenRemove(ctx, names);
    await quiet(ctx.target, 15_000);
    const result = herdFigures(ctx.target.arrivals, names, workload, from);
    results[workload.name] = { ...result, temporalCounted: explained, registrationMs };
    log(
      `(g) herd ${workload.name}: ${jobs} jobs on ${workload.cron(from)}, spreadSeconds ${workload.spreadSeconds}, ` +
        `${workload.minutes} min: ${result.arrivedOnce} of ${result.expected} arrived (missed ${result.missed}; ` +
        `Temporal counted ${explained.skipped} skipped, ${explained.missed} missed; duplicates ${result.duplicates}; ` +
        `scheduledAt not the shifted time ${result.scheduledAtOff}); lateness ${describeSummary(result.latenessMs)} ` +
        `(goal p99 ≤ 60 s); first to last arrival in a minute ${result.arrivalSpreadMs.map((x) => `${(x / 1000).toFixed(1)} s`).join(', ')}`,
    );
  }
  return results;
}

/**
 * What Temporal counted as skipped (overlap) and missed (catch-up window) of each job's schedule, read once a
 * scenario's window is over, each job deleted right after its read, so that few occurrences after the window add to
 * the load of the reads. A describe is a query to the schedule's own workflow, slow on a loaded dev server: tried 5
 * times, 10 lanes at once; `undescribed` counts the schedules that never answered.
 */
async function countThenRemove(ctx: BenchContext, names: readonly string[]) {
  const counts = { skipped: 0, missed: 0, undescribed: 0 };
  await timedPool(names.length, 10, async (i) => {
    for (let attempt = 1; ; attempt++) {
      try {
        const { info } = await ctx.client.schedule.getHandle(scheduleIdOf(names[i]!)).describe();
        counts.skipped += info.numActionsSkippedOverlap;
        counts.missed += info.numActionsMissedCatchupWindow;
        break;
      } catch (err) {
        if (attempt === 5) {
          console.error(`describe ${names[i]}: ${String(err)}`);
          counts.undescribed++;
          break;
        }
        await sleep(2000);
      }
    }
    await removeJob(ctx, names[i]!);
  });
  return counts;
}

/** `M * * * *` for the minute `from` starts: one occurrence in the window, as `0 * * * *` gives at the hour. */
const minuteCron = (from: number) => `${new Date(from).getUTCMinutes()} * * * *`;

/**
 * What the target saw of a herd workload's occurrences in [from, from + minutes): each job's is due at `from` + k
 * minutes + its spread offset. Arrivals are matched to occurrences by job and `X-Scheduler-Scheduled-At`.
 */
export function herdFigures(
  arrivals: readonly Arrival[],
  names: readonly string[],
  workload: Pick<HerdWorkload, 'spreadSeconds' | 'minutes'>,
  from: number,
) {
  const due = new Map<string, number>(); // `${job}@${due}` → minute index
  for (const name of names) {
    const offset = spreadOffsetOf(name, workload.spreadSeconds) * 1000;
    for (let k = 0; k < workload.minutes; k++) due.set(`${name}@${from + k * 60_000 + offset}`, k);
  }
  const jobs = new Set(names);
  const to = from + workload.minutes * 60_000;
  const calls = new Map<string, number>();
  const lateness: number[] = [];
  const byMinute = Array.from({ length: workload.minutes }, () => ({ first: Infinity, last: -Infinity }));
  let scheduledAtOff = 0;
  for (const a of arrivals) {
    if (!jobs.has(a.job) || a.scheduledAt === null || a.scheduledAt < from || a.scheduledAt >= to) continue;
    const key = `${a.job}@${a.scheduledAt}`;
    const minute = due.get(key);
    if (minute === undefined) {
      scheduledAtOff++; // not the job's shifted time: the header would not carry what the run was due at
      continue;
    }
    calls.set(key, (calls.get(key) ?? 0) + 1);
    if (calls.get(key)! > 1) continue; // a repeated call counts once, at its first arrival
    lateness.push(a.at - a.scheduledAt);
    const m = byMinute[minute]!;
    m.first = Math.min(m.first, a.at);
    m.last = Math.max(m.last, a.at);
  }
  return {
    spreadSeconds: workload.spreadSeconds,
    minutes: workload.minutes,
    expected: due.size,
    arrivedOnce: calls.size,
    missed: due.size - calls.size,
    duplicates: [...calls.values()].filter((n) => n > 1).length,
    scheduledAtOff,
    latenessMs: summarize(lateness),
    arrivalSpreadMs: byMinute.map((m) => (m.last >= m.first ? m.last - m.first : NaN)),
  };
}
