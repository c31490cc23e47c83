import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';

/** The pinned Temporal CLI version; `scripts/install-tools.sh` builds exactly this one. */
export const TEMPORAL_CLI_VERSION = '1.5.1';

/** Thrown by {@link startDevServer} when the CLI is missing or the server never becomes ready. */
export class DevServerError extends Error {
  override readonly name = 'DevServerError';
}

/**
 * The dynamic config key of how many scheduled runs Temporal starts per second per namespace (server 1.29
 * `common/dynamicconfig/constants.go`, default 30); a herd of jobs due in one second starts at this rate.
 */
export const START_RATE_KEY = 'worker.schedulerNamespaceStartWorkflowRPS';

export interface DevServerOptions {
  /** Path of the `temporal` CLI; default: the project's `.tools/bin/temporal`, else `temporal` on PATH. */
  cliPath?: string;
  port: number;
  /** Web UI port; `null` runs headless. */
  uiPort: number | null;
  /** SQLite file that keeps history across restarts; omitted: in memory. */
  dbFile?: string;
  namespace: string;
  /** Custom search attributes, name → type (Keyword, Text, …). Applied to namespaces this start creates. */
  searchAttributes?: Record<string, string>;
  /** Port of Temporal's Prometheus `/metrics` on loopback; omitted: one the CLI picks. */
  metricsPort?: number;
  /** Dynamic config overrides, key → JSON value. */
  dynamicConfig?: Record<string, string | number | boolean>;
  /** Server output goes here (never to an undrained pipe). */
  logFile?: string;
  readyTimeoutMs?: number;
  /** Aborting it while the server starts stops the server and rejects. */
  signal?: AbortSignal;
}

export interface DevServer {
  address: string;
  uiUrl: string | null;
  /** The CLI's process id (the bench reads its CPU time and memory from /proc). */
  pid: number;
  /** SIGTERM, then wait: SIGKILL could leave the SQLite file half-written. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash or an OOM kill would: for fault tests. */
  kill(): Promise<void>;
}

/** The project root: the nearest directory above this file with a package.json. */
export function packageRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

export function resolveTemporalCli(explicit?: string): string {
  if (explicit) return explicit;
  const local = path.join(packageRoot(), '.tools', 'bin', 'temporal');
  return existsSync(local) ? local : 'temporal';
}

/** Launches `temporal server start-dev` on loopback with its version check off, and waits until it answers. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const cli = resolveTemporalCli(opts.cliPath);
  // Readiness is judged by connecting, so a port already served would pass for ours.
  for (const port of [opts.port, opts.uiPort]) {
    if (port !== null && !(await portIsFree(port))) {
      throw new DevServerError(
        `port ${port} is in use (another Temporal dev server?): free it or set TEMPORAL_DEV_PORT / TEMPORAL_DEV_UI_PORT`,
      );
    }
  }
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--namespace', opts.namespace];
  args.push(...(opts.uiPort === null ? ['--headless'] : ['--ui-port', String(opts.uiPort)]));
  if (opts.dbFile) {
    mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile, '--sqlite-pragma', 'journal_mode=WAL');
  }
  if (opts.metricsPort !== undefined) args.push('--metrics-port', String(opts.metricsPort));
  for (const [name, type] of Object.entries(opts.searchAttributes ?? {}))
    args.push('--search-attribute', `${name}=${type}`);
  const dynamicConfig = { 'frontend.enableServerVersionCheck': false, ...opts.dynamicConfig };
  for (const [key, value] of Object.entries(dynamicConfig)) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  args.push('--log-level', 'warn');

  // The CLI picks its HTTP API's and metrics' ports itself, free when it looks, and binds them later: another process
  // may take one in between. Such a start is tried again; a port of ours in use was refused above.
  for (let attempt = 1; ; attempt++) {
    const logStart = opts.logFile && existsSync(opts.logFile) ? statSync(opts.logFile).size : 0;
    try {
      return await launch(cli, args, opts);
    } catch (err) {
      if (attempt > PORT_RACE_RETRIES || !lostPortRace(opts, logStart)) throw err;
    }
  }
}

/** Starts that lost a race for a port the CLI picked itself are tried again this many times. */
const PORT_RACE_RETRIES = 2;

/** Whether the start logged since `from` (bytes) failed binding a port that is not one of ours (`port`, `uiPort`). */
export function lostPortRace(opts: DevServerOptions, from: number): boolean {
  if (!opts.logFile || !existsSync(opts.logFile)) return false;
  const log = readFileSync(opts.logFile, 'utf8').slice(from);
  const port = /listen tcp [\d.]+:(\d+): bind: address already in use/.exec(log)?.[1];
  return port !== undefined && Number(port) !== opts.port && Number(port) !== opts.uiPort;
}

/** One launch of the CLI with `args`, waited for until it answers; stopped and thrown on failure. */
async function launch(cli: string, args: string[], opts: DevServerOptions): Promise<DevServer> {
  let out: number | 'ignore' = 'ignore';
  if (opts.logFile) {
    mkdirSync(path.dirname(opts.logFile), { recursive: true });
    out = openSync(opts.logFile, 'a');
  }
  const child = spawn(cli, args, {
    stdio: ['ignore', out, out],
    env: { ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' },
  });
  if (typeof out === 'number') closeSync(out);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(err.message));
    child.once('exit', (code, signal) => resolve(`exited with ${signal ?? code}`));
  });

  const address = `127.0.0.1:${opts.port}`;
  const server: DevServer = {
    address,
    uiUrl: opts.uiPort === null ? null : `http://localhost:${opts.uiPort}`,
    pid: child.pid ?? NaN,
    stop: () => stopChild(child),
    kill: () => stopChild(child, 'SIGKILL'),
  };
  const aborted = new Promise<string>((resolve) => {
    if (opts.signal?.aborted) resolve('start-up aborted');
    opts.signal?.addEventListener('abort', () => resolve('start-up aborted'), { once: true });
  });
  const failure = await Promise.race([
    waitUntilReady(address, opts.namespace, opts.readyTimeoutMs ?? 60_000, exited).then(
      () => null,
      (err: Error) => err.message,
    ),
    exited.then((why) => `Temporal dev server (${cli}) ${why}${opts.logFile ? `; see ${opts.logFile}` : ''}`),
    aborted,
  ]);
  if (failure !== null) {
    await server.stop();
    throw new DevServerError(
      cli === 'temporal' && failure.includes('ENOENT')
        ? 'Temporal CLI not found: set TEMPORAL_ADDRESS to a Temporal frontend, or run `npm install` (it builds .tools/bin/temporal), or set TEMPORAL_CLI_PATH'
        : failure,
    );
  }
  return server;
}

/** Polls until the server answers; gives up early once `gone` settles (the child exited). */
async function waitUntilReady(
  address: string,
  namespace: string,
  timeoutMs: number,
  gone: Promise<unknown>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void gone.then(() => (exited = true));
  for (;;) {
    if (exited) throw new DevServerError('Temporal dev server exited');
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline)
        throw new DevServerError(`Temporal dev server at ${address} not ready: ${String(err)}`);
      await sleep(250);
    }
  }
}

/** A loopback port that was free a moment ago. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill(signal);
  });
}
