import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freeLoopbackPort } from '../devserver/dev-server';
import { scheduleIdOf } from '../jobs/ids';
import { ROLLING_SLICES, type ReconcileInput, type ReconcileReport } from '../jobs/reconcile';
import { WorkflowType } from '../jobs/workflow-types';
import {
  cpuSecondsOf,
  RAISED_START_RATE,
  sleep,
  startBenchTemporal,
  startScheduler,
  startTarget,
  timedPool,
  writeResults,
} from './harness';
import { registerFleet } from './seed';

/**
 * `npm run bench:reconcile`: what one reconciler pass costs Temporal, for fleets of `BENCH_RECONCILE_JOBS` jobs
 * (`1000,10000`), each on a fresh dev server and scheduler (as deployed: node dist/main.js, embedded SQLite, the
 * reconciler's schedule off so that only the measured passes run).
 *
 * The first `BENCH_RECONCILE_VIA_API` (1,000) jobs are registered through the API, the rest straight into Temporal
 * and the scheduler's SQLite file (`registerFleet`), all on a cron that does not fire during the bench. Then, each a
 * `reconcile` workflow started directly on the scheduler's task queue, as its schedule or `POST /api/reconcile`
 * starts it:
 *
 * 1. a full pass (no `everyMinutes`: every schedule described; what every pass did before incremental passes);
 * 2. an incremental pass (`everyMinutes: 10`, as the schedule runs it) over the unchanged fleet;
 * 3. an incremental pass after `BENCH_RECONCILE_CHANGED` (1 %) of the schedules were paused directly in Temporal;
 * 4. an incremental pass over the fleet unchanged since.
 *
 * Each pass's wall time; the dev server's CPU-seconds during it (utime + stime of its process); the frontend RPCs
 * Temporal served during it, by method, from its Prometheus `service_requests` counter; and the pass's own report
 * (schedules listed and described, what it mended). Results: bench/results/reconcile-<time>.json.
 */
const FLEETS = (process.env.BENCH_RECONCILE_JOBS ?? '1000,10000').split(',').map(Number);
const VIA_API = Number(process.env.BENCH_RECONCILE_VIA_API ?? 1000);
const CHANGED_SHARE = Number(process.env.BENCH_RECONCILE_CHANGED ?? 0.01);
const EVERY_MINUTES = 10;
const SERVICE = 'bench-service';
const TASK_QUEUE = 'scheduler';
const jobName = (i: number) => `reconcile-${String(i).padStart(5, '0')}`;

/** Frontend requests served so far, by method (Temporal's `service_requests` counter). */
async function frontendRequests(metricsUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('service_requests{')) continue;
    const labels = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
    if (/service_name="/.test(labels) && !labels.includes('service_name="frontend"')) continue;
    const operation = /operation="([^"]*)"/.exec(labels)?.[1] ?? '?';
    counts.set(operation, (counts.get(operation) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

interface PassFigures {
  pass: string;
  wallSeconds: number;
  temporalCpuSeconds: number;
  schedulerCpuSeconds: number;
  schedulesListed: number | undefined;
  schedulesDescribed: number | undefined;
  /** Frontend RPCs during the pass, all methods (the bench's own start and wait for the workflow included). */
  rpcs: number;
  rpcsByMethod: Record<string, number>;
  mended: { jobsMirrored: number; jobsRemoved: number; jobsStateFixed: number; jobsReplanned: number };
  failures: string[];
}

async function fleet(jobs: number) {
  const dir = mkdtempSync(path.join(tmpdir(), 'scheduler-reconcile-bench-'));
  const metricsPort = await freeLoopbackPort();
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const dev = await startBenchTemporal(dir, RAISED_START_RATE, { metricsPort });
  const target = await startTarget();
  const scheduler = await startScheduler({
    port: await freeLoopbackPort(),
    env: {
      TEMPORAL_ADDRESS: dev.address,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      SCHEDULER_DATA_DIR: path.join(dir, 'data'),
      BENCH_SERVICE_URL: target.url,
      SCHEDULER_RECONCILE_MINUTES: '0',
    },
  });
  const connection = await Connection.connect({ address: dev.address });
  const client = new Client({ connection });
  try {
    console.log(`${jobs} jobs: registering…`);
    const names = Array.from({ length: jobs }, (_, i) => jobName(i));
    const registered = performance.now();
    const registration = (i: number) => ({ name: names[i]!, service: SERVICE, endpoint: '/noop', cron: '0 3 1 1 *' });
    await registerFleet({
      api: scheduler.url,
      client,
      dbFile: path.join(dir, 'data', 'scheduler.db'),
      taskQueue: TASK_QUEUE,
      services: new Map([[SERVICE, target.url]]),
      count: jobs,
      viaApi: VIA_API,
      registration,
    });
    console.log(`  registered and steady in ${((performance.now() - registered) / 1000).toFixed(0)} s`);
    await sleep(3000); // the last refreshes and visibility settle

    let n = 0;
    const pass = async (label: string, input: ReconcileInput): Promise<PassFigures> => {
      const rpcsBefore = await frontendRequests(metricsUrl);
      const temporalBefore = cpuSecondsOf(dev.pid);
      const schedulerBefore = cpuSecondsOf(scheduler.child.pid!);
      const started = performance.now();
      const report = (await client.workflow.execute(WorkflowType.reconcile, {
        taskQueue: TASK_QUEUE,
        workflowId: `bench-reconcile-${jobs}-${n++}`,
        args: [input],
      })) as ReconcileReport;
      const wallSeconds = (performance.now() - started) / 1000;
      const temporalCpuSeconds = cpuSecondsOf(dev.pid) - temporalBefore;
      const schedulerCpuSeconds = cpuSecondsOf(scheduler.child.pid!) - schedulerBefore;
      const rpcsAfter = await frontendRequests(metricsUrl);
      const rpcsByMethod = Object.fromEntries(
        [...rpcsAfter]
          .map(([op, count]) => [op, count - (rpcsBefore.get(op) ?? 0)] as const)
          .filter(([, d]) => d > 0)
          .sort((a, b) => b[1] - a[1]),
      );
      const figures: PassFigures = {
        pass: label,
        wallSeconds,
        temporalCpuSeconds,
        schedulerCpuSeconds,
        schedulesListed: report.schedulesListed,
        schedulesDescribed: report.schedulesDescribed,
        rpcs: Object.values(rpcsByMethod).reduce((a, b) => a + b, 0),
        rpcsByMethod,
        mended: {
          jobsMirrored: report.jobsMirrored.length,
          jobsRemoved: report.jobsRemoved.length,
          jobsStateFixed: report.jobsStateFixed.length,
          jobsReplanned: report.jobsReplanned.length,
        },
        failures: report.failures.slice(0, 5),
      };
      console.log(
        `  ${label}: ${wallSeconds.toFixed(1)} s, Temporal ${temporalCpuSeconds.toFixed(1)} CPU-s, scheduler ` +
          `${schedulerCpuSeconds.toFixed(1)} CPU-s, described ${report.schedulesDescribed}/${report.schedulesListed}, ` +
          `${figures.rpcs} RPCs (DescribeSchedule ${rpcsByMethod.DescribeSchedule ?? 0}), mended ` +
          `${JSON.stringify(figures.mended)}`,
      );
      return figures;
    };

    const base: ReconcileInput = { lookbackHours: 24, retentionDays: 90 };
    const passes = [
      await pass('full', base),
      await pass('incremental, unchanged', { ...base, everyMinutes: EVERY_MINUTES }),
    ];

    const changed = names.filter((_, i) => i % Math.round(1 / CHANGED_SHARE) === 0);
    await timedPool(changed.length, 10, (i) =>
      client.schedule.getHandle(scheduleIdOf(changed[i]!)).pause('bench: paused in Temporal itself'),
    );
    await sleep(3000); // visibility: the listing shows the pauses
    passes.push(
      await pass(`incremental, ${changed.length} paused in Temporal`, { ...base, everyMinutes: EVERY_MINUTES }),
    );
    passes.push(await pass('incremental, unchanged again', { ...base, everyMinutes: EVERY_MINUTES }));
    return { jobs, changed: changed.length, passes };
  } finally {
    await connection.close();
    await scheduler.stop();
    await target.close();
    await dev.stop();
  }
}

async function main() {
  const results = [];
  for (const jobs of FLEETS) results.push(await fleet(jobs));
  writeResults('reconcile', {
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    everyMinutes: EVERY_MINUTES,
    rollingSlices: ROLLING_SLICES,
    fleets: results,
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
