import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_FLAGS } from '../temporal/search-attributes';
import { startDevServer } from '../devserver/dev-server';
import { normalizeJob } from '../jobs/validate';
import type { RunJobInput } from '../jobs/run-input';

/**
 * `npm run bench`: one dev server, one all-in-one scheduler process (node dist/main.js), one no-op HTTP target.
 * Prints (a) registration latency through our API against a raw ScheduleClient.create, (b) completed executions
 * per second through runJob against a bare one-activity workflow making the same call, (c) the process's RSS.
 */
const REGISTRATIONS = Number(process.env.BENCH_REGISTRATIONS ?? 200);
/** Concurrent clients of the concurrent registration round (the 20). */
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 20);
const EXECUTIONS = Number(process.env.BENCH_EXECUTIONS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const mib = (kb: number) => `${(kb / 1024).toFixed(1)} MiB`;

function memoryOf(pid: number): { rssKb: number; peakKb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKb: field('VmRSS'), peakKb: field('VmHWM') };
}

/** How long `task` took, in ms. */
async function timed(task: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await task();
  return performance.now() - t;
}

/** Runs `task(i)` for i < count on `clients` concurrent lanes; returns each call's duration in ms. */
async function timedPool(count: number, clients: number, task: (i: number) => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count) {
        const i = next++;
        times.push(await timed(() => task(i)));
      }
    }),
  );
  return times;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function waitFor(url: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready`);
    await sleep(100);
  }
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'scheduler-bench-'));
  const dev = await startDevServer({
    port: await freePort(),
    uiPort: null,
    namespace: 'default',
    searchAttributes: SEARCH_ATTRIBUTE_FLAGS,
    dynamicConfig: { 'worker.schedulerNamespaceStartWorkflowRPS': 1000 },
    logFile: path.join(dir, 'temporal.log'),
  });
  const target = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  const port = await freePort();
  const children: ChildProcess[] = [];
  const connection = await Connection.connect({ address: dev.address });
  const client = new Client({ connection });
  try {
    const started = Date.now();
    const scheduler = spawn(process.execPath, [path.join(__dirname, '..', 'main.js')], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: dev.address,
        PORT: String(port),
        HOST: '127.0.0.1',
        SCHEDULER_DATA_DIR: path.join(dir, 'data'),
        BENCH_SERVICE_URL: targetUrl,
        LOG_LEVEL: 'warn',
        SCHEDULER_RATE_LIMIT_PER_MINUTE: '0', // the benchmark is one anonymous caller at full speed
        // the pod's settings (Dockerfile, k8s/base/scheduler-service.yaml)
        NODE_OPTIONS:
          process.env.BENCH_NODE_OPTIONS ?? '--max-old-space-size=160 --max-semi-space-size=1 --v8-pool-size=1',
        MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(scheduler);
    const api = `http://127.0.0.1:${port}`;
    await waitFor(`${api}/ready`, 30_000);
    const startupMs = Date.now() - started;
    console.log(`start-up (spawn → /ready 200, external Temporal): ${startupMs} ms`);
    await sleep(3000);
    const idle = memoryOf(scheduler.pid!);

    // (a) registration latency, sequential, new jobs each time
    const raw: number[] = [];
    const ours: number[] = [];
    const jobBody = (name: string) => ({ name, service: 'bench-service', endpoint: '/noop', cron: '0 3 * * *' });
    const services = new Map([['bench-service', targetUrl]]);
    const rawCreate = async (rawName: string) => {
      const job = normalizeJob(jobBody(rawName), services);
      await client.schedule.create({
        scheduleId: `job-${rawName}`,
        spec: { cronExpressions: [job.cron], timezone: job.timezone },
        action: {
          type: 'startWorkflow',
          workflowType: 'runJob',
          taskQueue: 'scheduler',
          workflowId: `job-run-${rawName}`,
          args: [{ job }],
        },
        policies: { overlap: 'SKIP', catchupWindow: '1h' },
      });
    };
    const apiRegister = async (name: string) => {
      const res = await fetch(`${api}/api/jobs/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(jobBody(name)),
      });
      if (res.status !== 201) throw new Error(`register answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    };
    // sequential, alternating, so that drift of the shared dev server falls on both alike
    for (let i = 0; i < REGISTRATIONS; i++) {
      raw.push(await timed(() => rawCreate(`raw-${i}`)));
      ours.push(await timed(() => apiRegister(`api-${i}`)));
    }
    // The HTTP hop alone (fetch → Fastify → a 404), to tell it apart from what registration itself adds.
    const hop: number[] = [];
    for (let i = 0; i < REGISTRATIONS; i++) {
      const t = performance.now();
      await (await fetch(`${api}/no-such-route`)).arrayBuffer();
      hop.push(performance.now() - t);
    }
    const ratioA = percentile(ours, 50) / percentile(raw, 50);
    console.log(
      `(a) register ×${REGISTRATIONS}: API p50 ${percentile(ours, 50).toFixed(1)} ms p99 ${percentile(ours, 99).toFixed(1)} ms; ` +
        `raw create p50 ${percentile(raw, 50).toFixed(1)} ms p99 ${percentile(raw, 99).toFixed(1)} ms; ratio p50 ${ratioA.toFixed(2)} (goal ≤ 1.15); ` +
        `the HTTP hop alone p50 ${percentile(hop, 50).toFixed(1)} ms, so registration without it: ratio ` +
        `${((percentile(ours, 50) - percentile(hop, 50)) / percentile(raw, 50)).toFixed(2)}`,
    );

    // (a') the same with CLIENTS concurrent clients: one after the other, raw first
    const rawConcurrent = await timedPool(REGISTRATIONS, CLIENTS, (i) => rawCreate(`raw-c-${i}`));
    const oursConcurrent = await timedPool(REGISTRATIONS, CLIENTS, (i) => apiRegister(`api-c-${i}`));
    const concurrent = {
      clients: CLIENTS,
      api: { p50: percentile(oursConcurrent, 50), p99: percentile(oursConcurrent, 99) },
      raw: { p50: percentile(rawConcurrent, 50), p99: percentile(rawConcurrent, 99) },
    };
    console.log(
      `(a') register ×${REGISTRATIONS} by ${CLIENTS} concurrent clients: API p50 ${concurrent.api.p50.toFixed(1)} ms ` +
        `p99 ${concurrent.api.p99.toFixed(1)} ms; raw p50 ${concurrent.raw.p50.toFixed(1)} ms p99 ${concurrent.raw.p99.toFixed(1)} ms; ` +
        `ratio p50 ${(concurrent.api.p50 / concurrent.raw.p50).toFixed(2)} (goal ≤ 1.15), p99 +${(concurrent.api.p99 - concurrent.raw.p99).toFixed(1)} ms (goal ≤ +5 ms)`,
    );

    // (b) throughput: a burst of executions, started directly, until all have completed
    const bare = fork(path.join(__dirname, 'bare-worker.js'), [], {
      env: { ...process.env, TEMPORAL_ADDRESS: dev.address },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    children.push(bare);
    await new Promise((r) => bare.once('message', r));
    const job = normalizeJob(jobBody('throughput'), services);
    const burst = async (start: () => Promise<{ result(): Promise<unknown> }>, count = EXECUTIONS) => {
      const t = performance.now();
      const handles = await Promise.all(Array.from({ length: count }, start));
      await Promise.all(handles.map((h) => h.result()));
      return count / ((performance.now() - t) / 1000);
    };
    const input: RunJobInput = { job, trigger: 'manual', triggeredBy: 'bench', retryOf: null };
    const bareRun = () =>
      client.workflow.start('bareCall', {
        taskQueue: 'bench-bare',
        workflowId: `bare-${randomUUID()}`,
        args: [`${targetUrl}/noop`],
      });
    const ourRun = () =>
      client.workflow.start('runJob', {
        taskQueue: 'scheduler',
        workflowId: `job-run-throughput-manual-${randomUUID()}`,
        args: [input],
      });
    // Alternate the two, after a warm-up of each, so that drift of the shared dev server falls on both alike.
    await burst(bareRun, 50);
    await burst(ourRun, 50);
    const rates = { bare: [] as number[], ours: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      rates.bare.push(await burst(bareRun));
      rates.ours.push(await burst(ourRun));
    }
    const baseline = percentile(rates.bare, 50);
    const ourRate = percentile(rates.ours, 50);
    const peak = memoryOf(scheduler.pid!);
    console.log(
      `(b) ${ROUNDS} alternating bursts of ${EXECUTIONS} executions, median: runJob ${ourRate.toFixed(1)}/s ` +
        `(${rates.ours.map((r) => r.toFixed(1)).join(', ')}), bare one-activity workflow ${baseline.toFixed(1)}/s ` +
        `(${rates.bare.map((r) => r.toFixed(1)).join(', ')}); ` +
        `ratio ${(ourRate / baseline).toFixed(2)} (goal ≥ 0.8)`,
    );
    console.log(
      `(c) all-in-one RSS: idle ${mib(idle.rssKb)} (goal ≤ 130 MiB), peak ${mib(peak.peakKb)} (goal ≤ 220 MiB; pod limit 256 MiB)`,
    );
    const results = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      startupMs: startupMs,
      registration: {
        count: REGISTRATIONS,
        sequential: {
          api: { p50: percentile(ours, 50), p99: percentile(ours, 99) },
          raw: { p50: percentile(raw, 50), p99: percentile(raw, 99) },
          httpHopP50: percentile(hop, 50),
          ratioP50: ratioA,
        },
        concurrent,
      },
      throughput: {
        executions: EXECUTIONS,
        rounds: ROUNDS,
        runJob: rates.ours,
        bare: rates.bare,
        ratio: ourRate / baseline,
      },
      memory: { idleRssMiB: idle.rssKb / 1024, peakRssMiB: peak.peakKb / 1024 },
    };
    const resultsDir = path.resolve(__dirname, '..', '..', 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `${results.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`results: ${path.relative(process.cwd(), file)}`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    await connection.close();
    target.close();
    await dev.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
