import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freeLoopbackPort } from '../devserver/dev-server';
import {
  forkWorker,
  mib,
  memoryOf,
  sleep,
  startScheduler,
  startTarget,
  stopChild,
  startBenchTemporal,
  RAISED_START_RATE,
} from './harness';
import { lateness, reads, registration, sameSecond, throughput, type BenchContext } from './scenarios';

/**
 * `npm run bench`: for each schedule start rate of the dev server (`BENCH_START_RATES`: `raised` = 1000/s, `default`
 * = Temporal's 30/s), one dev server, one all-in-one scheduler process (node dist/main.js, the pod's Node settings),
 * one recording HTTP target, and the scenarios of `BENCH_SCENARIOS` in order. Figures are printed and written to
 * bench/results/<time>.json. The footprint in a 256 MiB / 0.2 CPU cgroup is `npm run bench:footprint`.
 */
const START_RATES: Record<string, Record<string, number>> = {
  raised: RAISED_START_RATE,
  default: {},
};
const SCENARIOS = { registration, throughput, lateness, 'same-second': sameSecond, reads };
const modes = (process.env.BENCH_START_RATES ?? 'raised,default').split(',');
const scenarios = (process.env.BENCH_SCENARIOS ?? Object.keys(SCENARIOS).join(',')).split(',');

async function benchMode(mode: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'scheduler-bench-'));
  const dev = await startBenchTemporal(dir, START_RATES[mode]);
  const target = await startTarget();
  const children: ChildProcess[] = [];
  const connection = await Connection.connect({ address: dev.address });
  try {
    const scheduler = await startScheduler({
      port: await freeLoopbackPort(),
      env: {
        TEMPORAL_ADDRESS: dev.address,
        SCHEDULER_DATA_DIR: path.join(dir, 'data'),
        BENCH_SERVICE_URL: target.url,
      },
    });
    children.push(scheduler.child);
    const workerEnv = { TEMPORAL_ADDRESS: dev.address, BENCH_SERVICE_URL: target.url };
    children.push(await forkWorker('bare-worker.js', workerEnv), await forkWorker('mirror-off-worker.js', workerEnv));
    console.log(`start rate ${mode}: start-up (spawn → /ready 200, external Temporal) ${scheduler.startupMs} ms`);
    await sleep(3000);
    const idle = memoryOf(scheduler.child.pid!);
    const ctx: BenchContext = { client: new Client({ connection }), api: scheduler.url, target, jobs: new Set() };
    const results: Record<string, unknown> = { startupMs: scheduler.startupMs };
    for (const name of scenarios) {
      const scenario = SCENARIOS[name as keyof typeof SCENARIOS];
      if (!scenario) throw new Error(`BENCH_SCENARIOS: no scenario ${name} (${Object.keys(SCENARIOS).join(', ')})`);
      results[name] = await scenario(ctx);
    }
    const peak = memoryOf(scheduler.child.pid!);
    results.memory = { idleRssMiB: mib(idle.rssKb), peakRssMiB: mib(peak.peakKb) };
    console.log(
      `  (c) all-in-one RSS: idle ${mib(idle.rssKb).toFixed(1)} MiB (goal ≤ 130), peak ${mib(peak.peakKb).toFixed(1)} MiB` +
        ' (goal ≤ 220; pod limit 256)',
    );
    return results;
  } finally {
    await Promise.all(children.map(stopChild));
    await connection.close();
    await target.close();
    await dev.stop();
  }
}

async function main() {
  const results = {
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    startRates: {} as Record<string, unknown>,
  };
  for (const mode of modes) {
    if (!START_RATES[mode]) throw new Error(`BENCH_START_RATES: no start rate ${mode} (raised, default)`);
    results.startRates[mode] = await benchMode(mode);
  }
  const resultsDir = path.resolve(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${results.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`results: ${path.relative(process.cwd(), file)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
