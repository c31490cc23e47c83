import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeLoopbackPort, startDevServer, type DevServer, type DevServerOptions } from '../devserver/dev-server';
import { SEARCH_ATTRIBUTE_FLAGS } from '../temporal/search-attributes';

/** What every bench scenario shares: timing, percentiles, a recording target and the scheduler as a process. */

export { sleep };

export const percentile = (xs: readonly number[], p: number) =>
  xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export const summarize = (xs: readonly number[]): Summary => ({
  count: xs.length,
  p50: percentile(xs, 50),
  p99: percentile(xs, 99),
  max: xs.length ? Math.max(...xs) : NaN,
});

export const ms = (x: number) => `${x.toFixed(1)} ms`;
export const describeSummary = (s: Summary) => `p50 ${ms(s.p50)} p99 ${ms(s.p99)} max ${ms(s.max)} (n=${s.count})`;

/** How long `task` took, in ms. */
export async function timed(task: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await task();
  return performance.now() - t;
}

/** Runs `task(i)` for i < count on `clients` concurrent lanes; returns each call's duration in ms. */
export async function timedPool(count: number, clients: number, task: (i: number) => Promise<void>): Promise<number[]> {
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

/** Starts `task` at a fixed rate (open loop: a slow answer does not slow the next start); each one's latency in ms. */
export async function atRate(
  perSecond: number,
  seconds: number,
  task: (i: number) => Promise<void>,
): Promise<number[]> {
  const total = Math.round(perSecond * seconds);
  const started = performance.now();
  const pending: Promise<number>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const request = timed(() => task(i));
    // a failure fails the whole after the loop, through Promise.all; until then it is not an unhandled rejection,
    // which would end the bench without stopping its scheduler and dev server
    request.catch(() => undefined);
    pending.push(request);
  }
  return Promise.all(pending);
}

export function memoryOf(pid: number): { rssKb: number; peakKb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKb: field('VmRSS'), peakKb: field('VmHWM') };
}

export const mib = (kb: number) => kb / 1024;

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`: 100 on every Linux build in use). */
const CLOCK_TICKS = 100;

/** The parent pid and the fields 14–17 of /proc/<pid>/stat (utime, stime, cutime, cstime), or null once it is gone. */
function statOf(pid: number): { ppid: number; ticks: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // the command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const field = (n: number) => Number(fields[n - 3]);
  return { ppid: field(4), ticks: field(14) + field(15) + field(16) + field(17) };
}

/**
 * CPU-seconds (user + system) spent so far by the process `pid` and every live descendant, with the children they
 * have already reaped (cutime/cstime): each tick counted once.
 */
export function cpuSecondsOf(pid: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statOf(Number(entry));
    if (stat) stats.set(Number(entry), stat);
  }
  let ticks = 0;
  const tree = [pid];
  while (tree.length > 0) {
    const next = tree.pop()!;
    ticks += stats.get(next)?.ticks ?? 0;
    for (const [child, stat] of stats) if (stat.ppid === next) tree.push(child);
  }
  return ticks / CLOCK_TICKS;
}

/**
 * Waits until the process `pid` and its children use less than `share` of one core over 2 s: the work queued by what
 * came before (alert watch hand-overs, row refreshes) is done, and what follows is measured on a quiet process. Gives
 * up after `timeoutMs`; @returns how long it waited, in ms.
 */
export async function untilQuiet(pid: number, { share = 0.1, timeoutMs = 600_000 } = {}): Promise<number> {
  const started = Date.now();
  let before = cpuSecondsOf(pid);
  while (Date.now() - started < timeoutMs) {
    await sleep(2000);
    const now = cpuSecondsOf(pid);
    if (now - before < 2 * share) break;
    before = now;
  }
  return Date.now() - started;
}

/** A scheduler's /metrics, as text (Prometheus' exposition format). */
export const metricsText = async (api: string): Promise<string> => (await fetch(`${api}/metrics`)).text();

/** The value of an unlabelled series in a /metrics `text`; NaN when it is absent. */
export const metricValue = (text: string, name: string): number =>
  Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

/**
 * Where a scheduler's memory is, from its own /metrics (prom-client's default series), in MiB: its RSS, the V8 heap
 * it uses and holds, and V8's external memory (buffers). RSS less the heap held is native memory: Temporal's Rust
 * core, SQLite's page cache, malloc's arenas.
 */
export async function memorySplit(
  api: string,
): Promise<{ rssMiB: number; heapUsedMiB: number; heapTotalMiB: number; externalMiB: number }> {
  const text = await metricsText(api);
  const value = (name: string) => metricValue(text, name) / 1024 / 1024;
  return {
    rssMiB: value('process_resident_memory_bytes'),
    heapUsedMiB: value('nodejs_heap_size_used_bytes'),
    heapTotalMiB: value('nodejs_heap_size_total_bytes'),
    externalMiB: value('nodejs_external_memory_bytes'),
  };
}

/**
 * Resets the peak RSS (VmHWM) the kernel keeps for `pid` (`/proc/<pid>/clear_refs`, value 5), so that the next
 * {@link memoryOf} gives the peak since; false where the kernel refuses (not root, or another user's process).
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready`);
    await sleep(50);
  }
}

/** Temporal's schedule start rate raised from its default 30/s, as a cluster serving a fleet would set it. */
export const RAISED_START_RATE = { 'worker.schedulerNamespaceStartWorkflowRPS': 1000 };

/** A headless dev server of the bench's own on a free loopback port, logging into `dir`; `extra` adds options. */
export async function startBenchTemporal(
  dir: string,
  dynamicConfig: Record<string, number> = RAISED_START_RATE,
  extra: Partial<DevServerOptions> = {},
): Promise<DevServer> {
  return startDevServer({
    ...extra,
    port: await freeLoopbackPort(),
    uiPort: null,
    namespace: 'default',
    searchAttributes: SEARCH_ATTRIBUTE_FLAGS,
    dynamicConfig,
    logFile: path.join(dir, 'temporal.log'),
  });
}

/** One call the target received: when, when it was scheduled for (X-Scheduler-Scheduled-At), and its answer. */
export interface Arrival {
  job: string;
  executionId: string;
  at: number;
  scheduledAt: number | null;
  status: number;
}

/** A no-op service answering at once, recording every call that reaches it. */
export interface Target {
  url: string;
  arrivals: Arrival[];
  close(): Promise<void>;
}

/**
 * Starts a {@link Target} on a free loopback port. `answer` is the status of every call (default 200), or a function
 * choosing each call's status, in the order the calls arrive.
 */
export async function startTarget(answer: number | ((call: Omit<Arrival, 'status'>) => number) = 200): Promise<Target> {
  const arrivals: Arrival[] = [];
  const server: Server = createServer((req, res) => {
    const at = Date.now();
    const scheduled = req.headers['x-scheduler-scheduled-at'];
    const call = {
      job: String(req.headers['x-scheduler-job'] ?? ''),
      executionId: String(req.headers['idempotency-key'] ?? ''),
      at,
      scheduledAt: typeof scheduled === 'string' ? Date.parse(scheduled) : null,
    };
    const status = typeof answer === 'number' ? answer : answer(call);
    arrivals.push({ ...call, status });
    req.resume();
    req.on('end', () => res.writeHead(status, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The pod's Node settings (Dockerfile, k8s/base/scheduler-service.yaml), for the scheduler and for every process it
 * is compared with: a small young generation makes collections frequent, so a baseline without it would be unfair.
 */
export const POD_NODE_ENV = {
  NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '--max-old-space-size=160 --max-semi-space-size=1 --v8-pool-size=1',
  MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
};

/** The scheduler as deployed: `node dist/main.js` with the pod's Node settings. */
export interface SchedulerProcess {
  url: string;
  child: ChildProcess;
  /** Spawn → /ready 200, in ms. */
  startupMs: number;
  stop(): Promise<void>;
}

export async function startScheduler(opts: {
  port: number;
  env: Record<string, string>;
  /** A command that runs its arguments, e.g. one that first moves itself into a cgroup. */
  wrap?: string[];
}): Promise<SchedulerProcess> {
  const started = Date.now();
  // BENCH_SCHEDULER_NODE_ARGS: Node flags that NODE_OPTIONS refuses, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`
  const nodeArgs = process.env.BENCH_SCHEDULER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const main = [process.execPath, ...nodeArgs, path.join(__dirname, '..', 'main.js')];
  const [command, ...args] = [...(opts.wrap ?? []), ...main];
  const child = spawn(command!, args, {
    env: {
      ...process.env,
      PORT: String(opts.port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SCHEDULER_RATE_LIMIT_PER_MINUTE: '0', // a benchmark is one anonymous caller at full speed
      ...POD_NODE_ENV,
      ...opts.env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${opts.port}`;
  await waitFor(`${url}/ready`, 30_000);
  return {
    url,
    child,
    startupMs: Date.now() - started,
    stop: () => stopChild(child),
  };
}

/**
 * Forks the compiled bench script `file` (next to this one) with the pod's Node settings; resolves once it says ready.
 * @throws Error if it exits first.
 */
export async function forkWorker(file: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = fork(path.join(__dirname, file), [], {
    env: { ...process.env, ...POD_NODE_ENV, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code, signal) =>
      reject(new Error(`${file} exited with ${signal ?? code} before it was ready`)),
    );
  });
  return child;
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** POSTs a registration; throws unless it is created or updated. */
export async function register(api: string, body: object): Promise<void> {
  const res = await fetch(`${api}/api/jobs/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`register answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/**
 * Steady state: reads every job of `names` until its row has its next run times. The first read of a job created
 * without them queues their refresh (a describe of its schedule), work that would otherwise land on what is measured.
 */
export async function untilSteady(api: string, names: readonly string[]): Promise<void> {
  let pending = names;
  while (pending.length > 0) {
    const fresh = new Array<boolean>(pending.length).fill(false);
    const reading = pending;
    // 20 at a time: 10,000 reads at once would be a flood of the bench's own making (and the process's peak RSS)
    await timedPool(reading.length, 20, async (i) => {
      try {
        const res = await fetch(`${api}/api/jobs/${reading[i]!}`);
        if (res.status !== 200) return void (await res.arrayBuffer());
        fresh[i] = ((await res.json()) as { job: { nextRunTimes: string[] } }).job.nextRunTimes.length > 0;
      } catch {
        // read again in the next round
      }
    });
    pending = reading.filter((_, i) => !fresh[i]);
    if (pending.length > 0) await sleep(2000);
  }
}

/** GETs `url`; throws unless 200. */
export async function get(url: string): Promise<void> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/** A bench's own stack: its dev server, and the scheduler as deployed on it. */
export interface BenchStack {
  temporal: DevServer;
  scheduler: SchedulerProcess;
  stop(): Promise<void>;
}

/**
 * Starts a dev server of the bench's own ({@link startBenchTemporal}) and the scheduler as deployed on it, on a free
 * port, with its embedded SQLite in `dir/data` and `target` as the service `bench-service`; `env` adds or overrides.
 */
export async function startBenchStack(
  dir: string,
  target: Target,
  env: Record<string, string> = {},
): Promise<BenchStack> {
  const temporal = await startBenchTemporal(dir);
  const scheduler = await startScheduler({
    port: await freeLoopbackPort(),
    env: {
      TEMPORAL_ADDRESS: temporal.address,
      SCHEDULER_DATA_DIR: path.join(dir, 'data'),
      BENCH_SERVICE_URL: target.url,
      ...env,
    },
  });
  return {
    temporal,
    scheduler,
    async stop() {
      await scheduler.stop();
      await temporal.stop();
    },
  };
}

/**
 * Writes a bench's figures to `bench/results/<name>-<time>.json` (the time in ISO form, `:` and `.` as `-`) and
 * prints the file's path.
 */
export function writeResults(name: string, figures: object): void {
  const dir = path.resolve(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
  console.log(`results: ${path.relative(process.cwd(), file)}`);
}
