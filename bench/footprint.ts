import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freeLoopbackPort } from '../devserver/dev-server';
import {
  atRate,
  memoryOf,
  mib,
  register,
  sleep,
  startScheduler,
  startTarget,
  summarize,
  startBenchTemporal,
} from './harness';
import { registerFleet } from './seed';

/**
 * `npm run bench:footprint` (as root): the all-in-one process (API + worker) inside a cgroup of the seed's pod,
 * 256 MiB and 0.2 CPU, with `BENCH_FOOTPRINT_JOBS` jobs registered (the first `BENCH_FOOTPRINT_VIA_API`, default
 * 1,000, through the API; the rest straight into Temporal and the SQLite file, `registerFleet`: 10,000 through the API
 * at 0.2 CPU take most of an hour) and `BENCH_FOOTPRINT_RATE` jobs running every second, for
 * `BENCH_FOOTPRINT_MINUTES`. Before those minutes, a read flood (`BENCH_FOOTPRINT_FLOOD_SECONDS`, default 60; 0: none)
 * at `BENCH_FOOTPRINT_FLOOD_RATE` requests a second (default 200), alternating pages of 50 jobs and single jobs, while
 * the jobs run and the alert watches and the ledger work as deployed (issue 17: no OOM kill under a read flood).
 * Prints ready time, idle and peak RSS, the flood's answers, sheds and peak RSS, RSS growth from minute 10 to the end,
 * OOM kills, and the executions per second it kept up with. Temporal runs outside the cgroup, as it does in the
 * cluster.
 */
const MINUTES = Number(process.env.BENCH_FOOTPRINT_MINUTES ?? 30);
const JOBS = Number(process.env.BENCH_FOOTPRINT_JOBS ?? 10_000);
const RATE = Number(process.env.BENCH_FOOTPRINT_RATE ?? 30);
const VIA_API = Number(process.env.BENCH_FOOTPRINT_VIA_API ?? 1000);
const MEMORY_BYTES = 256 * 1024 * 1024;
const CPU_QUOTA_US = 20_000; // of each 100 ms: 0.2 CPU
const SAMPLE_MS = 10_000;
const FLOOD_SECONDS = Number(process.env.BENCH_FOOTPRINT_FLOOD_SECONDS ?? 60);
const FLOOD_RATE = Number(process.env.BENCH_FOOTPRINT_FLOOD_RATE ?? 200);

/**
 * `FLOOD_RATE` reads a second for `FLOOD_SECONDS` (open loop), every other one a page of 50 jobs from a random name,
 * the rest one job; RSS sampled every second. A 503 (load shedding) is counted apart; another refusal, or a request
 * that fails (the process killed), is an error.
 */
async function readFlood(api: string, pid: number, names: readonly string[]) {
  const answered: number[] = [];
  const counts = { shed: 0, errors: 0 };
  let peakRssMiB = 0;
  const sampler = setInterval(() => {
    peakRssMiB = Math.max(peakRssMiB, mib(memoryOf(pid).rssKb));
  }, 1000);
  const pick = () => names[Math.floor(Math.random() * names.length)]!;
  try {
    await atRate(FLOOD_RATE, FLOOD_SECONDS, async (i) => {
      const url = i % 2 === 0 ? `${api}/api/jobs?limit=50&after=${pick()}` : `${api}/api/jobs/${pick()}`;
      const started = performance.now();
      try {
        const res = await fetch(url);
        await res.arrayBuffer();
        if (res.status === 503) counts.shed++;
        else if (res.status !== 200) counts.errors++;
        else answered.push(performance.now() - started);
      } catch {
        counts.errors++;
      }
    });
  } finally {
    clearInterval(sampler);
  }
  return { seconds: FLOOD_SECONDS, rate: FLOOD_RATE, answeredMs: summarize(answered), ...counts, peakRssMiB };
}

/** A cgroup (v1 memory and cpu controllers, as on this machine) holding the seed's limits. */
function createPodCgroup(name: string) {
  const memory = `/sys/fs/cgroup/memory/${name}`;
  const cpu = `/sys/fs/cgroup/cpu/${name}`;
  if (!existsSync('/sys/fs/cgroup/memory') || !existsSync('/sys/fs/cgroup/cpu')) {
    throw new Error('bench:footprint needs the cgroup v1 memory and cpu controllers under /sys/fs/cgroup');
  }
  try {
    mkdirSync(memory);
    mkdirSync(cpu);
  } catch (err) {
    throw new Error(`bench:footprint must run as root to create cgroups (${(err as Error).message})`);
  }
  writeFileSync(`${memory}/memory.limit_in_bytes`, String(MEMORY_BYTES));
  if (existsSync(`${memory}/memory.memsw.limit_in_bytes`)) {
    writeFileSync(`${memory}/memory.memsw.limit_in_bytes`, String(MEMORY_BYTES)); // no swapping past the limit
  }
  writeFileSync(`${cpu}/cpu.cfs_period_us`, '100000');
  writeFileSync(`${cpu}/cpu.cfs_quota_us`, String(CPU_QUOTA_US));
  return {
    /** Runs its arguments inside the cgroup. */
    wrap: ['sh', '-c', `echo $$ > ${memory}/cgroup.procs && echo $$ > ${cpu}/cgroup.procs && exec "$@"`, 'sh'],
    oomKills: () => Number(/^oom_kill (\d+)/m.exec(readFileSync(`${memory}/memory.oom_control`, 'utf8'))?.[1] ?? 0),
    remove() {
      for (const dir of [memory, cpu]) {
        try {
          rmdirSync(dir);
        } catch {
          // still holds a process; the kernel frees it with the last one
        }
      }
    },
  };
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'scheduler-footprint-'));
  const cgroup = createPodCgroup(`scheduler-footprint-${process.pid}`);
  const dev = await startBenchTemporal(dir);
  const target = await startTarget();
  const scheduler = await startScheduler({
    port: await freeLoopbackPort(),
    wrap: cgroup.wrap,
    env: { TEMPORAL_ADDRESS: dev.address, SCHEDULER_DATA_DIR: path.join(dir, 'data'), BENCH_SERVICE_URL: target.url },
  });
  const pid = scheduler.child.pid!;
  try {
    console.log(`ready ${scheduler.startupMs} ms after spawn, inside 256 MiB / 0.2 CPU (goal ≤ 3 s)`);
    await sleep(5000);
    const idle = memoryOf(pid);
    console.log(`idle RSS ${mib(idle.rssKb).toFixed(1)} MiB (goal ≤ 130)`);

    const quiet = { service: 'bench-service', endpoint: '/noop', cron: '0 3 1 1 *' };
    const registerStarted = Date.now();
    const connection = await Connection.connect({ address: dev.address });
    try {
      await registerFleet({
        api: scheduler.url,
        client: new Client({ connection }),
        dbFile: path.join(dir, 'data', 'scheduler.db'),
        taskQueue: 'scheduler', // TEMPORAL_TASK_QUEUE's default: the bench's scheduler sets none
        services: new Map([[quiet.service, target.url]]),
        count: JOBS,
        viaApi: VIA_API,
        registration: (i) => ({ ...quiet, name: `quiet-${i}` }),
      });
    } finally {
      await connection.close();
    }
    console.log(`${JOBS} jobs registered in ${((Date.now() - registerStarted) / 1000).toFixed(0)} s`);
    for (let i = 0; i < RATE; i++) {
      await register(scheduler.url, { ...quiet, name: `every-second-${i}`, cron: '@every 1s' });
    }

    const names = Array.from({ length: JOBS }, (_, i) => `quiet-${i}`);
    const flood = FLOOD_SECONDS > 0 ? await readFlood(scheduler.url, pid, names) : null;
    if (flood) {
      console.log(
        `read flood ${FLOOD_RATE}/s for ${FLOOD_SECONDS} s: ${flood.answeredMs.count} answered (p50 ` +
          `${flood.answeredMs.p50.toFixed(0)} ms, p99 ${flood.answeredMs.p99.toFixed(0)} ms), ${flood.shed} shed (503), ` +
          `${flood.errors} errors; RSS peak ${flood.peakRssMiB.toFixed(1)} MiB, OOM kills so far ${cgroup.oomKills()}`,
      );
    }

    const loadStarted = Date.now();
    const samples: { minute: number; rssMiB: number; executionsPerSecond: number }[] = [];
    let arrivalsBefore = target.arrivals.length;
    while (Date.now() - loadStarted < MINUTES * 60_000) {
      await sleep(SAMPLE_MS);
      const arrivals = target.arrivals.length;
      const sample = {
        minute: (Date.now() - loadStarted) / 60_000,
        rssMiB: mib(memoryOf(pid).rssKb),
        executionsPerSecond: (arrivals - arrivalsBefore) / (SAMPLE_MS / 1000),
      };
      arrivalsBefore = arrivals;
      samples.push(sample);
      if (samples.length % 6 === 0) {
        console.log(
          `  minute ${sample.minute.toFixed(1)}: RSS ${sample.rssMiB.toFixed(1)} MiB, ${sample.executionsPerSecond.toFixed(1)} executions/s`,
        );
      }
    }
    const peak = memoryOf(pid);
    const from10 = samples.filter((s) => s.minute >= Math.min(10, MINUTES / 3));
    const atStart = from10[0]?.rssMiB ?? NaN;
    const atEnd = samples[samples.length - 1]?.rssMiB ?? NaN;
    const growth = ((atEnd - atStart) / atStart) * 100;
    const rates = samples.map((s) => s.executionsPerSecond);
    const meanRate = rates.reduce((a, b) => a + b, 0) / rates.length;
    const results = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      limits: { memoryMiB: MEMORY_BYTES / 1024 / 1024, cpu: CPU_QUOTA_US / 100_000 },
      minutes: MINUTES,
      jobs: JOBS,
      targetExecutionsPerSecond: RATE,
      readyMs: scheduler.startupMs,
      idleRssMiB: mib(idle.rssKb),
      flood,
      peakRssMiB: mib(peak.peakKb),
      growthPercent: { from: from10[0]?.minute ?? null, to: MINUTES, percent: growth },
      oomKills: cgroup.oomKills(),
      meanExecutionsPerSecond: meanRate,
      samples,
    };
    console.log(
      `peak RSS ${results.peakRssMiB.toFixed(1)} MiB (goal ≤ 220); RSS ${atStart.toFixed(1)} → ${atEnd.toFixed(1)} MiB ` +
        `from minute ${(from10[0]?.minute ?? NaN).toFixed(1)} to ${MINUTES}: ${growth.toFixed(1)} % (goal ≤ 5 %); ` +
        `OOM kills ${results.oomKills} (goal 0); executions/s kept up with: mean ${meanRate.toFixed(1)} of ${RATE}`,
    );
    const resultsDir = path.resolve(__dirname, '..', '..', 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `footprint-${results.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`results: ${path.relative(process.cwd(), file)}`);
  } finally {
    await scheduler.stop();
    await target.close();
    await dev.stop();
    cgroup.remove();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
