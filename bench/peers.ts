import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection, ScheduleOverlapPolicy, type ScheduleSpec } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { Queue } from 'bullmq';
import { BULLMQ_QUEUE, type PeerJobData } from './bullmq-worker';
import {
  cpuSecondsOf,
  describeSummary,
  forkWorker,
  memoryOf,
  mib,
  register,
  sleep,
  startBenchStack,
  startBenchTemporal,
  startTarget,
  stopChild,
  summarize,
  timedPool,
  untilSteady,
  writeResults,
  type Arrival,
  type Summary,
  type Target,
} from './harness';
import { requireRedisServer, startRedis } from './redis';

/**
 * `npm run bench:peers`: the same workloads through scheduler-service, BullMQ job schedulers and bare Temporal
 * schedules, one system at a time, each on infrastructure of its own started for the run (so its CPU is its own):
 *
 * - distinct-seconds: `BENCH_PEERS_JOBS` (n, 1,000) jobs, each due every n s at its own second (one job a second);
 * - top-of-minute: n jobs on `* * * * *`;
 * - failing-target: the same, against a target failing 20 % of calls, with 3 attempts 1 s then 2 s apart.
 *
 * `BENCH_PEERS_MINUTES` sets every workload's window (default 10 for distinct-seconds, 3 for the others);
 * `BENCH_PEERS_WORKLOADS` and `BENCH_PEERS_SYSTEMS` (comma-separated) choose. Figures are printed and written to
 * bench/results/peers-<time>.json.
 */

type WorkloadName = 'distinct-seconds' | 'top-of-minute' | 'failing-target';

interface Workload {
  name: WorkloadName;
  jobs: number;
  minutes: number;
  /** The share of calls the target answers 500. */
  failRate: number;
}

const env = (name: string) => (process.env[name] === undefined ? undefined : Number(process.env[name]));
const JOBS = env('BENCH_PEERS_JOBS') ?? 1000;
const MINUTES = env('BENCH_PEERS_MINUTES');
const WORKLOADS: Workload[] = [
  { name: 'distinct-seconds', jobs: JOBS, minutes: MINUTES ?? 10, failRate: 0 },
  { name: 'top-of-minute', jobs: JOBS, minutes: MINUTES ?? 3, failRate: 0 },
  { name: 'failing-target', jobs: JOBS, minutes: MINUTES ?? 3, failRate: 0.2 },
];
/** The full run's settings: a run with others is reduced, and its results say so. */
const FULL = { jobs: 1000, minutes: { 'distinct-seconds': 10, 'top-of-minute': 3, 'failing-target': 3 } };

/** The retry policy of every system: 3 attempts, 1 s then 2 s apart. */
const RETRY = { attempts: 3, initialSeconds: 1, coefficient: 2 };
/** How many calls each system makes at once: our worker's activity slots (SCHEDULER_WORKER_MAX_ACTIVITIES). */
const CONCURRENCY = 20;
/** After the window, how long no call of the window's occurrences may arrive before they are counted. */
const QUIET_MS = 15_000;
/** After the window, the longest wait for its last occurrences. */
const DRAIN_CAP_MS = 5 * 60_000;

const jobName = (i: number) => `peer-${i}`;

/** A system under test, started for one workload. */
interface RunningSystem {
  /** Its processes, by role: every one of them is measured (tree CPU, peak RSS). */
  pids: Record<string, number>;
  /** Registers the workload's jobs and resolves once they are in steady state. */
  register(workload: Workload): Promise<void>;
  stop(): Promise<void>;
}

interface Peer {
  name: 'ours' | 'bare-temporal' | 'bullmq';
  label: string;
  /** What the system keeps of each run, for the table. */
  records: string;
  start(dir: string, target: Target): Promise<RunningSystem>;
}

const ours: Peer = {
  name: 'ours',
  label: 'scheduler-service',
  records:
    'a mirror row per run (status, attempts, HTTP status, response excerpt, times) + the Temporal history of each run',
  async start(dir, target) {
    const { temporal, scheduler, stop } = await startBenchStack(dir, target);
    return {
      pids: { temporal: temporal.pid, scheduler: scheduler.child.pid! },
      stop,
      async register(workload) {
        const names = Array.from({ length: workload.jobs }, (_, i) => jobName(i));
        await timedPool(names.length, CONCURRENCY, (i) =>
          register(scheduler.url, {
            name: names[i],
            service: 'bench-service',
            endpoint: '/peers',
            // `@every <n>s/<i>s`: Temporal's interval with an offset, counted from the epoch (docs/cron.md)
            cron: workload.name === 'distinct-seconds' ? `@every ${workload.jobs}s/${i}s` : '* * * * *',
            retry: {
              maxAttempts: RETRY.attempts,
              initialIntervalSeconds: RETRY.initialSeconds,
              backoffCoefficient: RETRY.coefficient,
            },
          }),
        );
        await untilSteady(scheduler.url, names);
      },
    };
  },
};

/** The bare workflow's bundle, built once per bench in the bench's own process (as our build prebuilds ours). */
let bareBundle: string | undefined;

const bare: Peer = {
  name: 'bare-temporal',
  label: 'bare Temporal schedule',
  records: 'the Temporal history of each run only (attempts and failure in it; nothing outside Temporal)',
  async start(dir, target) {
    if (!bareBundle) {
      const { code } = await bundleWorkflowCode({
        workflowsPath: require.resolve('./bare-workflow'),
        logger: new DefaultLogger('WARN'),
      });
      bareBundle = path.join(mkdtempSync(path.join(tmpdir(), 'bench-bare-bundle-')), 'bundle.js');
      writeFileSync(bareBundle, code);
    }
    const temporal = await startBenchTemporal(dir);
    const stack = new Stack();
    stack.push(() => temporal.stop());
    try {
      const worker = await forkWorker('bare-worker.js', {
        TEMPORAL_ADDRESS: temporal.address,
        BARE_WORKFLOW_BUNDLE: bareBundle,
      });
      stack.push(() => stopChild(worker));
      const connection = await Connection.connect({ address: temporal.address });
      stack.push(() => connection.close());
      const client = new Client({ connection });
      return {
        pids: { temporal: temporal.pid, worker: worker.pid! },
        async register(workload) {
          await timedPool(workload.jobs, CONCURRENCY, async (i) => {
            const spec: ScheduleSpec =
              workload.name === 'distinct-seconds'
                ? { intervals: [{ every: `${workload.jobs}s`, offset: `${i}s` }] }
                : { cronExpressions: ['* * * * *'] };
            await client.schedule.create({
              scheduleId: `bare-${jobName(i)}`,
              spec,
              action: {
                type: 'startWorkflow',
                workflowType: 'bareScheduledCall',
                taskQueue: 'bench-bare',
                workflowId: `bare-run-${jobName(i)}`,
                args: [{ url: `${target.url}/peers`, job: jobName(i) }],
              },
              // ours: overlap skip, a catch-up window of an hour (the job defaults)
              policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
            });
          });
        },
        stop: () => stack.unwind(),
      };
    } catch (err) {
      await stack.unwind();
      throw err;
    }
  },
};

const bullmq: Peer = {
  name: 'bullmq',
  label: 'BullMQ job schedulers',
  records:
    'a job hash per run (data, attemptsMade, finishedOn, failedReason + stack trace), kept for the last 1,000 completed and 5,000 failed jobs (removeOnComplete / removeOnFail)',
  async start(dir, target) {
    const redis = await startRedis(dir);
    const stack = new Stack();
    stack.push(() => redis.stop());
    try {
      const worker: ChildProcess = await forkWorker('bullmq-worker.js', {
        REDIS_PORT: String(redis.port),
        BENCH_TARGET_URL: `${target.url}/peers`,
      });
      stack.push(() => stopChild(worker));
      const queue = new Queue<PeerJobData>(BULLMQ_QUEUE, { connection: { host: '127.0.0.1', port: redis.port } });
      stack.push(() => queue.close());
      return {
        pids: { redis: redis.pid, worker: worker.pid! },
        async register(workload) {
          await timedPool(workload.jobs, CONCURRENCY, async (i) => {
            const every = workload.jobs * 1000;
            // BullMQ keeps a future start date's offset from the epoch in `every` (its
            // src/commands/includes/getJobSchedulerEveryNextMillis.lua): started at job i's next second of the
            // cycle, it runs at i s + k·n s, as the others do. A start date already past would start it unaligned.
            const repeat =
              workload.name === 'distinct-seconds'
                ? { every, startDate: nextSlot(Date.now() + 2000, every, i * 1000) }
                : { pattern: '* * * * *' };
            await queue.upsertJobScheduler(jobName(i), repeat, {
              name: 'call',
              data: { job: jobName(i) },
              opts: {
                attempts: RETRY.attempts,
                // exponential: delay · 2^(attempt − 1), i.e. 1 s then 2 s
                backoff: { type: 'exponential', delay: RETRY.initialSeconds * 1000 },
                removeOnComplete: { count: 1000 },
                removeOnFail: { count: 5000 },
              },
            });
          });
        },
        stop: () => stack.unwind(),
      };
    } catch (err) {
      await stack.unwind();
      throw err;
    }
  },
};

const PEERS = [ours, bare, bullmq];

/** Clean-up steps run in reverse order, each even if one before it failed. */
class Stack {
  private readonly steps: (() => Promise<unknown>)[] = [];
  push(step: () => Promise<unknown>) {
    this.steps.push(step);
  }
  async unwind() {
    for (const step of this.steps.splice(0).reverse()) await step().catch((err: unknown) => console.error(err));
  }
}

/** The first instant ≥ `after` that is `offset` past a multiple of `every` from the epoch (ms). */
function nextSlot(after: number, every: number, offset: number): number {
  const slot = Math.floor(after / every) * every + offset;
  return slot >= after ? slot : slot + every;
}

/**
 * The target's answer: 500 for a deterministic `rate` of calls, chosen by a hash of the job, the nominal time and
 * how many calls of that occurrence came before; so every system sees the same failures on the same attempts.
 */
function failing(rate: number) {
  const calls = new Map<string, number>();
  return (call: Omit<Arrival, 'status'>) => {
    if (rate === 0) return 200;
    const key = `${call.job}@${call.scheduledAt}`;
    const nth = (calls.get(key) ?? 0) + 1;
    calls.set(key, nth);
    const hash = createHash('sha1').update(`${key}#${nth}`).digest().readUInt32BE(0) / 2 ** 32;
    return hash < rate ? 500 : 200;
  };
}

/** The window's occurrences: every (job, nominal time) key due in [from, to). */
function occurrencesOf(workload: Workload, from: number, to: number): Set<string> {
  const keys = new Set<string>();
  if (workload.name === 'distinct-seconds') {
    for (let t = from; t < to; t += 1000) keys.add(`${jobName((t / 1000) % workload.jobs)}@${t}`);
  } else {
    for (let t = from; t < to; t += 60_000) for (let i = 0; i < workload.jobs; i++) keys.add(`${jobName(i)}@${t}`);
  }
  return keys;
}

/** The window's first instant: a whole second (distinct seconds) or minute ahead, at least `leadMs` from now. */
function windowStart(workload: Workload, leadMs: number): number {
  const unit = workload.name === 'distinct-seconds' ? 1000 : 60_000;
  return Math.ceil((Date.now() + leadMs) / unit) * unit;
}

const keyOf = (a: Arrival) => `${a.job}@${a.scheduledAt}`;
const ok = (a: Arrival) => a.status >= 200 && a.status < 300;

/** Waits until every key has arrived and none for QUIET_MS, none at all for 2·QUIET_MS, or DRAIN_CAP_MS have passed. */
async function drain(target: Target, keys: ReadonlySet<string>): Promise<void> {
  const deadline = Date.now() + DRAIN_CAP_MS;
  for (;;) {
    const relevant = target.arrivals.filter((a) => keys.has(keyOf(a)));
    const seen = new Set(relevant.map(keyOf));
    const last = relevant.reduce((max, a) => Math.max(max, a.at), 0);
    const quietFor = Date.now() - last;
    if ((seen.size === keys.size && quietFor >= QUIET_MS) || quietFor >= 2 * QUIET_MS || Date.now() > deadline) return;
    await sleep(1000);
  }
}

interface RunResult {
  system: Peer['name'];
  workload: WorkloadName;
  jobs: number;
  minutes: number;
  registerSeconds: number;
  expected: number;
  /** Occurrences that reached the target at least once. */
  delivered: number;
  misses: number;
  /** Up to 10 of the missed occurrences (`<job>@<nominal ms>`), and of the calls in the window for no occurrence of it. */
  missedSample: string[];
  strangersSample: string[];
  /** Occurrences answered 2xx more than once. */
  duplicates: number;
  /** Occurrences whose every call failed (the target's deterministic failures on all 3 attempts). */
  failedAfterRetries: number;
  calls: number;
  /** Arrival of an occurrence's first call − its nominal time. */
  latenessMs: Summary;
  cpu: {
    windowSeconds: number;
    /** Occurrences whose first call arrived within the CPU window. */
    executions: number;
    byProcess: Record<string, number>;
    total: number;
    perThousandExecutions: number;
  };
  peakRssMiB: { byProcess: Record<string, number>; total: number };
}

/** The system running now, stopped on SIGINT/SIGTERM too: no Redis or Temporal is left behind. */
let running: RunningSystem | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: stopping the system under test`);
    void (running?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

async function runOne(peer: Peer, workload: Workload): Promise<RunResult> {
  const dir = mkdtempSync(path.join(tmpdir(), `bench-peers-${peer.name}-`));
  const target = await startTarget(failing(workload.failRate));
  let system: RunningSystem | undefined;
  try {
    system = running = await peer.start(dir, target);
    const pids = system.pids;
    const registered = Date.now();
    await system.register(workload);
    const registerSeconds = (Date.now() - registered) / 1000;
    const from = windowStart(workload, 5000);
    const to = from + workload.minutes * 60_000;
    const keys = occurrencesOf(workload, from, to);
    const cpuAll = () => Object.fromEntries(Object.entries(pids).map(([role, pid]) => [role, cpuSecondsOf(pid)]));
    // the CPU window: the workload's window, half a second early so the first occurrence's work is in it; its end
    // is before the first occurrence after the window (top of the minute: a whole minute to drain the last burst)
    const cpuFrom = from - 500;
    const cpuTo = to - 500;
    await sleep(cpuFrom - Date.now());
    const before = cpuAll();
    await sleep(cpuTo - Date.now());
    const after = cpuAll();
    await drain(target, keys);
    const peak = Object.fromEntries(Object.entries(pids).map(([role, pid]) => [role, mib(memoryOf(pid).peakKb)]));

    const byKey = new Map<string, Arrival[]>();
    for (const a of target.arrivals) {
      const key = keyOf(a);
      if (keys.has(key)) byKey.set(key, [...(byKey.get(key) ?? []), a]);
    }
    const firstCalls = [...byKey.values()].map((calls) => calls[0]!);
    const byProcess = Object.fromEntries(Object.keys(pids).map((role) => [role, after[role]! - before[role]!]));
    const total = Object.values(byProcess).reduce((s, x) => s + x, 0);
    // executions in the CPU window, of any occurrence (one due just before the window may arrive in it)
    const firstAt = new Map<string, number>();
    for (const a of target.arrivals) if (!firstAt.has(keyOf(a))) firstAt.set(keyOf(a), a.at);
    const executions = [...firstAt.values()].filter((at) => at >= cpuFrom && at < cpuTo).length;
    return {
      system: peer.name,
      workload: workload.name,
      jobs: workload.jobs,
      minutes: workload.minutes,
      registerSeconds,
      expected: keys.size,
      delivered: byKey.size,
      misses: keys.size - byKey.size,
      missedSample: [...keys].filter((key) => !byKey.has(key)).slice(0, 10),
      strangersSample: target.arrivals
        .filter((a) => !keys.has(keyOf(a)) && a.at >= cpuFrom && a.at < cpuTo)
        .slice(0, 10)
        .map((a) => `${keyOf(a)} at ${a.at}`),
      duplicates: [...byKey.values()].filter((calls) => calls.filter(ok).length > 1).length,
      failedAfterRetries: [...byKey.values()].filter((calls) => !calls.some(ok)).length,
      calls: [...byKey.values()].reduce((s, calls) => s + calls.length, 0),
      latenessMs: summarize(firstCalls.map((a) => a.at - a.scheduledAt!)),
      cpu: {
        windowSeconds: (cpuTo - cpuFrom) / 1000,
        executions,
        byProcess,
        total,
        perThousandExecutions: executions ? (1000 * total) / executions : NaN,
      },
      peakRssMiB: { byProcess: peak, total: Object.values(peak).reduce((s, x) => s + x, 0) },
    };
  } finally {
    running = undefined;
    await system?.stop();
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fixed = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const ratio = (x: number, base: number) => (Number.isFinite(x / base) ? `${(x / base).toFixed(2)}×` : '–');

function printTable(results: readonly RunResult[]) {
  const rows = [
    [
      'workload',
      'system',
      'delivered',
      'misses',
      'dups',
      'late p50 ms',
      'p99 ms',
      'max ms',
      'CPU s/1k exec',
      'peak RSS MiB',
      'CPU vs ours',
      'p99 vs ours',
    ],
  ];
  for (const r of results) {
    const base = results.find((o) => o.workload === r.workload && o.system === 'ours');
    rows.push([
      r.workload,
      r.system,
      `${r.delivered}/${r.expected}`,
      String(r.misses),
      String(r.duplicates),
      fixed(r.latenessMs.p50),
      fixed(r.latenessMs.p99),
      fixed(r.latenessMs.max),
      fixed(r.cpu.perThousandExecutions, 2),
      fixed(r.peakRssMiB.total),
      base ? ratio(r.cpu.perThousandExecutions, base.cpu.perThousandExecutions) : '–',
      base ? ratio(r.latenessMs.p99, base.latenessMs.p99) : '–',
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
}

/** Ours against the bare-Temporal floor: the goal is within 1.2× on CPU per execution and on lateness. */
function againstFloor(results: readonly RunResult[]) {
  const goals: Record<string, { cpu: number; p50: number; p99: number; met: boolean }> = {};
  for (const r of results.filter((x) => x.system === 'ours')) {
    const floor = results.find((x) => x.workload === r.workload && x.system === 'bare-temporal');
    if (!floor) continue;
    const cpu = r.cpu.perThousandExecutions / floor.cpu.perThousandExecutions;
    const p50 = r.latenessMs.p50 / floor.latenessMs.p50;
    const p99 = r.latenessMs.p99 / floor.latenessMs.p99;
    goals[r.workload] = { cpu, p50, p99, met: cpu <= 1.2 && p50 <= 1.2 && p99 <= 1.2 };
    console.log(
      `  ${r.workload}: ours / bare Temporal: CPU per execution ${cpu.toFixed(2)}×, lateness p50 ${p50.toFixed(2)}×, ` +
        `p99 ${p99.toFixed(2)}× (goal ≤ 1.2× each: ${goals[r.workload]!.met ? 'met' : 'not met'})`,
    );
  }
  return goals;
}

async function main() {
  const chosen = (name: string, all: readonly string[]) => {
    const list = (process.env[name] ?? all.join(',')).split(',');
    for (const x of list) if (!all.includes(x)) throw new Error(`${name}: no ${x} (${all.join(', ')})`);
    return list;
  };
  const workloads = chosen(
    'BENCH_PEERS_WORKLOADS',
    WORKLOADS.map((w) => w.name),
  ).map((name) => WORKLOADS.find((w) => w.name === name)!);
  const peers = chosen(
    'BENCH_PEERS_SYSTEMS',
    PEERS.map((p) => p.name),
  ).map((name) => PEERS.find((p) => p.name === name)!);
  if (peers.includes(bullmq)) requireRedisServer();
  const reduced = workloads.some((w) => w.jobs !== FULL.jobs || w.minutes !== FULL.minutes[w.name]);
  const results: RunResult[] = [];
  const failures: { system: Peer['name']; workload: WorkloadName; error: string }[] = [];
  for (const workload of workloads) {
    for (const peer of peers) {
      console.log(`${workload.name} (${workload.jobs} jobs, ${workload.minutes} min): ${peer.label}…`);
      let r: RunResult;
      try {
        r = await runOne(peer, workload);
      } catch (err) {
        // one system failing (its infrastructure stopped) leaves the others to be measured
        const error = err instanceof Error ? err.message : String(err);
        console.error(`  failed: ${error}`);
        failures.push({ system: peer.name, workload: workload.name, error });
        continue;
      }
      results.push(r);
      console.log(
        `  ${r.delivered} of ${r.expected} delivered (misses ${r.misses}, duplicates ${r.duplicates}, failed after ` +
          `retries ${r.failedAfterRetries}, calls ${r.calls}); lateness ${describeSummary(r.latenessMs)}; CPU ` +
          `${fixed(r.cpu.total, 2)} s for ${r.cpu.executions} executions = ${fixed(r.cpu.perThousandExecutions, 2)} s per 1,000 ` +
          `(${Object.entries(r.cpu.byProcess)
            .map(([role, s]) => `${role} ${s.toFixed(2)}`)
            .join(', ')}); peak RSS ` +
          `${Object.entries(r.peakRssMiB.byProcess)
            .map(([role, m]) => `${role} ${m.toFixed(1)}`)
            .join(' + ')} MiB`,
      );
    }
  }
  printTable(results);
  const goals = againstFloor(results);
  writeResults('peers', {
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    reduced,
    ...(reduced ? { fullRun: 'npm run bench:peers (1,000 jobs; 10, 3 and 3 minutes)' } : {}),
    concurrency: CONCURRENCY,
    retry: RETRY,
    records: Object.fromEntries(peers.map((p) => [p.name, p.records])),
    results,
    failures,
    oursAgainstBareTemporal: goals,
  });
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
