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
  resetPeakRss,
  sleep,
  startScheduler,
  startTarget,
  stopChild,
  startBenchTemporal,
  RAISED_START_RATE,
} from './harness';
import { herd, lateness, reads, registration, sameSecond, throughput, type BenchContext } from './scenarios';

/**
 * `npm run bench`: for each schedule start rate of the dev server (`BENCH_START_RATES`: `raised` = 1000/s, `default`
 * = Temporal's 30/s, `embedded` = no dev server of the bench's own: the scheduler starts its embedded one with every
 * default, 200/s included), one dev server, one all-in-one scheduler process (node dist/main.js, the pod's Node
 * settings), one recording HTTP target, and the scenarios of `BENCH_SCENARIOS` in order. Figures are printed and
 * written to bench/results/<time>.json. The footprint in a 256 MiB / 0.2 CPU cgroup is `npm run bench:footprint`.
 */
const START_RATES: Record<string, Record<string, number> | 'embedded'> = {
  raised: RAISED_START_RATE,
  default: {},
  embedded: 'embedded',
};
const SCENARIOS = { registration, throughput, lateness, 'same-second': sameSecond, reads, herd };
const modes = (process.env.BENCH_START_RATES ?? 'raised,default').split(',');
const scenarios = (process.env.BENCH_SCENARIOS ?? Object.keys(SCENARIOS).join(',')).split(',');

/**
 * The Temporal a mode runs on: a dev server of the bench's own with that start rate, or (`embedded`) the one the
 * scheduler starts itself, on ports chosen here; `env` tells the scheduler which.
 */
async function temporalFor(
  mode: string,
  dir: string,
): Promise<{ address: string; env: Record<string, string>; stop(): Promise<void> }> {
  const rates = START_RATES[mode]!;
  if (rates === 'embedded') {
    const devPort = await freeLoopbackPort();
    return {
      address: `127.0.0.1:${devPort}`,
      env: { TEMPORAL_DEV_PORT: String(devPort), TEMPORAL_DEV_UI_PORT: String(await freeLoopbackPort()) },
      stop: async () => undefined, // the scheduler stops its own
    };
  }
  const dev = await startBenchTemporal(dir, rates);
  return { address: dev.address, env: { TEMPORAL_ADDRESS: dev.address }, stop: () => dev.stop() };
}

async function benchMode(mode: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'scheduler-bench-'));
  const temporal = await temporalFor(mode, dir);
  const target = await startTarget();
  const children: ChildProcess[] = [];
  let connection: Connection | undefined;
  try {
    const scheduler = await startScheduler({
      port: await freeLoopbackPort(),
      env: { ...temporal.env, SCHEDULER_DATA_DIR: path.join(dir, 'data'), BENCH_SERVICE_URL: target.url },
    });
    children.push(scheduler.child);
    connection = await Connection.connect({ address: temporal.address });
    const workerEnv = { TEMPORAL_ADDRESS: temporal.address, BENCH_SERVICE_URL: target.url };
    children.push(await forkWorker('bare-worker.js', workerEnv), await forkWorker('mirror-off-worker.js', workerEnv));
    const where = mode === 'embedded' ? 'embedded Temporal' : 'external Temporal';
    console.log(`start rate ${mode}: start-up (spawn → /ready 200, ${where}) ${scheduler.startupMs} ms`);
    await sleep(3000);
    const pid = scheduler.child.pid!;
    const idle = memoryOf(pid);
    const ctx: BenchContext = { client: new Client({ connection }), api: scheduler.url, pid, target, jobs: new Set() };
    const results: Record<string, unknown> = { startupMs: scheduler.startupMs };
    // the peak of start-up and idle, before the first scenario resets it
    const peaks: Record<string, number | null> = { 'start-up': mib(idle.peakKb) };
    for (const name of scenarios) {
      const scenario = SCENARIOS[name as keyof typeof SCENARIOS];
      if (!scenario) throw new Error(`BENCH_SCENARIOS: no scenario ${name} (${Object.keys(SCENARIOS).join(', ')})`);
      // each scenario's own peak: the kernel's VmHWM reset before it (as root), read after it
      const resettable = resetPeakRss(pid);
      results[name] = await scenario(ctx);
      peaks[name] = resettable ? mib(memoryOf(pid).peakKb) : null;
    }
    // a scenario whose peak could not be reset is in the kernel's own peak, read last
    const peak = Math.max(...Object.values(peaks).map((p) => p ?? 0), mib(memoryOf(pid).peakKb));
    const top = Object.entries(peaks).sort(([, a], [, b]) => (b ?? 0) - (a ?? 0))[0];
    results.memory = { idleRssMiB: mib(idle.rssKb), peakRssMiB: peak, peakRssMiBByScenario: peaks };
    console.log(
      `  (c) all-in-one RSS: idle ${mib(idle.rssKb).toFixed(1)} MiB (goal ≤ 130), peak ${peak.toFixed(1)} MiB` +
        ` (goal ≤ 220; pod limit 256)${top?.[1] ? `, in ${top[0]}` : ''}; by scenario: ` +
        Object.entries(peaks)
          .map(([name, p]) => `${name} ${p === null ? '?' : p.toFixed(1)}`)
          .join(', '),
    );
    return results;
  } finally {
    await Promise.all(children.map(stopChild));
    await connection?.close();
    await target.close();
    await temporal.stop();
  }
}

async function main() {
  const results = {
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    startRates: {} as Record<string, unknown>,
  };
  for (const mode of modes) {
    if (!START_RATES[mode])
      throw new Error(`BENCH_START_RATES: no start rate ${mode} (${Object.keys(START_RATES).join(', ')})`);
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
