import path from 'node:path';
import closeWithGrace from 'close-with-grace';
import pino from 'pino';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createActivities, createSigner } from './activities';
import { buildApp, buildOpsApp, type App, type AppDeps } from './api/app';
import { createAuthenticator } from './api/identity';
import { createUseCases } from './api/use-cases';
import { createTemporalLinks } from './temporal/links';
import { createWatchNotifier, type WatchNotifier } from './temporal/watch';
import { watchRulesOf } from './jobs/alert-rules';
import { ensureReconcileSchedule, reconcileNow } from './temporal/reconcile';
import { registerSearchAttributes, SEARCH_ATTRIBUTE_FLAGS } from './temporal/search-attributes';
import { configWarnings, ConfigError, isLoopback, loadConfig, type Config } from './config/config';
import { freeLoopbackPort, START_RATE_KEY, startDevServer } from './devserver/dev-server';
import { openStore } from './store/open-store';
import { keepRefusedRows } from './store/refused-writes';
import { createWorkers } from './worker/worker';
import { createObservability, type Observability } from './observability/observability';
import type { JobStore } from './store/job-store';

export type Closer = { name: string; close: () => Promise<unknown> };

export interface RunningScheduler {
  /** The API, listening; for SCHEDULER_ROLE=worker only /health, /ready and /metrics. */
  app: App;
  /** Stops everything in reverse order of start: API, worker, connections, store, dev server. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Filled as parts start, so a signal during start-up stops what is already running. */
  closers?: Closer[];
  /** Aborts a start-up in progress (the embedded dev server's wait included). */
  signal?: AbortSignal;
  /** The Temporal SDK's Prometheus exporter, when run() installed the Runtime with one. */
  sdkMetricsUrl?: string;
}

/** The one composition root: Temporal (embedded or remote), the mirror, then by SCHEDULER_ROLE the worker and HTTP. */
export async function startScheduler(
  config: Readonly<Config>,
  log: pino.Logger,
  { closers = [], signal, sdkMetricsUrl }: StartOptions = {},
): Promise<RunningScheduler> {
  try {
    for (const warning of configWarnings(config)) log.warn(warning);
    const address = await startTemporal(config, log, closers, signal);
    // a refused row can only come from a write, and none happens before the worker starts
    const store = keepRefusedRows(openStore(config.store), (refusal) => observability.mirrorRefused(refusal));
    closers.push({ name: 'store', close: () => store.close() });
    // the per-job series for alerting rules: where the API runs (a worker-only process serves no mirror reads)
    const observability = createObservability({ log, sdkMetricsUrl, store: config.runs.api ? store : undefined });
    const temporal = await connectTemporal(config, address, closers);
    const watch = createWatchNotifier({
      client: temporal.client,
      store,
      taskQueue: config.temporal.taskQueue,
      rulesOf: (job) => watchRulesOf(job, config.alerts),
      onLaterFailure: (job, err) =>
        log.warn({ job, err }, "could not hand the job's alert watch its rules; the reconciler's next pass will"),
    });
    // before the connection closes (closers close in reverse): the rules hand-overs registrations began
    closers.push({ name: 'alert watch hand-overs', close: () => watch.settled() });
    const parts = { ...temporal, address, store, observability, log, watch };
    // the API's processes watch the jobs' alerts, so a stopped job worker is still noticed
    await startWorker(config, parts, closers);
    const app = await startHttp(config, parts, closers);
    return { app, stop: () => closeAll(closers.splice(0), log) };
  } catch (err) {
    await closeAll(closers.splice(0), log);
    throw err;
  }
}

/** What the phases after Temporal's share. */
interface Parts {
  /** The Temporal frontend: `TEMPORAL_ADDRESS`, or the embedded dev server's. */
  address: string;
  connection: Connection;
  client: Client;
  store: JobStore;
  observability: Observability;
  log: pino.Logger;
  watch: WatchNotifier;
}

/** `TEMPORAL_ADDRESS`, or, without one, the embedded dev server started now; its address either way. */
async function startTemporal(
  config: Readonly<Config>,
  log: pino.Logger,
  closers: Closer[],
  signal?: AbortSignal,
): Promise<string> {
  const { temporal } = config;
  if (temporal.address) return temporal.address;
  const dataDir = path.resolve(config.store.dataDir);
  log.info({ port: temporal.devPort }, 'TEMPORAL_ADDRESS unset: starting the embedded Temporal dev server');
  const dev = await startDevServer({
    cliPath: temporal.cliPath,
    port: temporal.devPort,
    uiPort: temporal.devUiPort,
    dbFile: path.join(dataDir, 'temporal.db'),
    namespace: temporal.namespace,
    searchAttributes: SEARCH_ATTRIBUTE_FLAGS,
    // Temporal's default (30) makes a herd of 1,000 jobs start over 33 s (docs/herds.md)
    dynamicConfig: { [START_RATE_KEY]: temporal.startRate },
    logFile: path.join(dataDir, 'temporal.log'),
    signal,
  });
  closers.push({ name: 'temporal dev server', close: () => dev.stop() });
  return dev.address;
}

/** The one client connection (sdk-client: reuse it), the search attributes, and the reconciler's schedule. */
async function connectTemporal(config: Readonly<Config>, address: string, closers: Closer[]) {
  const { temporal } = config;
  const connection = await Connection.connect({ address, ...temporal.credentials });
  closers.push({ name: 'temporal connection', close: () => connection.close() });
  if (temporal.registerSearchAttributes) await registerSearchAttributes(connection, temporal.namespace);
  const client = new Client({ connection, namespace: temporal.namespace });
  await ensureReconcileSchedule(client, reconcileOptions(config));
  return { connection, client };
}

const reconcileOptions = (config: Readonly<Config>) => ({ taskQueue: config.temporal.taskQueue, ...config.reconcile });

/**
 * The workers this process's role runs (the runs' with SCHEDULER_ROLE all or worker, the alert watches' with all or
 * api), on their own native connection, polling until stopped; if they stop by themselves, the process goes.
 */
async function startWorker(config: Readonly<Config>, parts: Parts, closers: Closer[]) {
  const { address, store, observability, log, watch } = parts;
  const { temporal } = config;
  const workerConnection = await NativeConnection.connect({ address, ...temporal.credentials });
  closers.push({ name: 'worker connection', close: () => workerConnection.close() });
  const worker = await createWorkers({
    connection: workerConnection,
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    workflowBundlePath: config.worker.bundlePath ?? path.join(__dirname, 'workflow-bundle.js'),
    maxConcurrentActivities: config.worker.maxConcurrentActivities,
    maxConcurrentMirrorWrites: config.worker.maxConcurrentMirrorWrites,
    maxWorkflowTasks: config.worker.maxWorkflowTasks,
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
    workflowThreads: config.worker.workflowThreads,
    activities: createActivities({
      store,
      services: config.services,
      fetch: globalThis.fetch,
      signer: config.signingSecret ? createSigner(config.signingSecret) : undefined,
      observer: observability.calls,
      historyPruned: (rows) => observability.historyPruned(rows),
      alerts: { ...config.alerts, temporal: createTemporalLinks(temporal.linkBaseUrl, temporal.namespace) },
      watch,
    }),
    sinks: observability.sinks,
    polls: { runs: config.runs.worker, alerts: config.runs.api },
  });
  const running = worker.run();
  running.catch((err: unknown) => {
    log.fatal({ err }, 'worker stopped unexpectedly');
    process.kill(process.pid, 'SIGTERM');
  });
  closers.push({
    name: 'worker',
    close: async () => {
      worker.shutdown();
      await running.catch(() => undefined);
    },
  });
  log.info({ taskQueue: temporal.taskQueue, runs: config.runs.worker, alerts: config.runs.api }, 'worker polling');
}

/** HTTP, listening: the API, or for a worker-only process its probes and metrics alone. */
async function startHttp(config: Readonly<Config>, parts: Parts, closers: Closer[]): Promise<App> {
  const { connection, store, observability, log } = parts;
  const checks = {
    temporal: async () => void (await connection.healthService.check({})),
    store: () => store.ping(),
  };
  const serverOptions = { loggerInstance: log, trustProxy: config.trustProxy };
  const app = config.runs.api
    ? buildApp({ ...apiDeps(config, parts), checks, metrics: observability }, serverOptions)
    : buildOpsApp({ checks, metrics: observability }, serverOptions);
  closers.push({ name: 'http', close: () => app.close() });
  await app.listen({ port: config.port, host: config.host });
  announce(config, log);
  return app;
}

/** The API's use cases over the client and the mirror. */
function apiDeps(config: Readonly<Config>, { client, store, watch }: Parts): Omit<AppDeps, 'checks' | 'metrics'> {
  const { taskQueue, namespace, linkBaseUrl } = config.temporal;
  const links = createTemporalLinks(linkBaseUrl, namespace);
  return {
    ...createUseCases({
      client,
      store,
      services: config.services,
      taskQueue,
      links,
      alerts: config.alerts,
      consoleUrl: config.alerts.consoleUrl,
      watch,
      signingSecret: config.signingSecret,
      startRate: config.temporal.startRate,
    }),
    authenticate: createAuthenticator(config.identity),
    reconcile: () => reconcileNow(client, reconcileOptions(config)),
    rateLimitPerMinute: config.rateLimitPerMinute,
    corsOrigins: config.corsOrigins,
  };
}

/** The start-up line, after an open mode's warning when the API lets every caller in. */
function announce(config: Readonly<Config>, log: pino.Logger) {
  const { uiUrl } = config.temporal;
  const openApi = config.identity.open && config.runs.api;
  if (openApi && !isLoopback(config.host)) {
    log.warn(
      `OPEN MODE ON ${config.host}: no SCHEDULER_SERVICE_TOKENS, SCHEDULER_ADMIN_TOKENS or SCHEDULER_ADMIN_JWKS_URL set, and HOST=${config.host} serves other machines: anyone who reaches port ${config.port} is admin "anonymous". Configure tokens, or unset HOST to stay on loopback.`,
    );
  } else if (openApi) {
    log.warn(
      'OPEN MODE: no SCHEDULER_SERVICE_TOKENS, SCHEDULER_ADMIN_TOKENS or SCHEDULER_ADMIN_JWKS_URL set: every caller is admin "anonymous", so the API listens on loopback only. Fine on a laptop; configure tokens before serving other machines.',
    );
  }
  const where = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  const scope = openApi && !config.hostSet ? ' (open mode: loopback only; set tokens and HOST to serve others)' : '';
  log.info(
    { services: [...config.services.keys()], store: config.store.supabaseUrl ? 'supabase' : 'sqlite' },
    `scheduler-service up (role ${config.role})${config.runs.api ? `: API on ${where}${scope}` : `: probes and metrics on ${where}`}${uiUrl ? `, Temporal Web at ${uiUrl}` : ''}`,
  );
}

async function closeAll(closers: Closer[], log: pino.Logger): Promise<void> {
  for (const { name, close } of [...closers].reverse()) {
    try {
      await close();
    } catch (err) {
      log.error({ err }, `closing ${name} failed`);
    }
  }
}

function run(): void {
  let config: Readonly<Config>;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`scheduler-service: bad configuration: ${err.message}`);
    process.exit(1);
  }
  const log = pino({ level: config.logLevel });
  const closers: Closer[] = [];
  const starting = new AbortController();
  closeWithGrace({ delay: 30_000 }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down');
    starting.abort();
    await closeAll(closers, log);
  });
  installRuntime(log)
    .then((sdkMetricsUrl) => startScheduler(config, log, { closers, signal: starting.signal, sdkMetricsUrl }))
    .then(
      () => undefined,
      (err: unknown) => {
        if (starting.signal.aborted) return; // stopped during start-up: close-with-grace is closing what started
        console.error(`scheduler-service: failed to start: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
}

/**
 * The Temporal SDK's runtime: its own logs at WARN and up, as JSON lines through our logger; its metrics on a
 * loopback port that `/metrics` includes.
 */
async function installRuntime(log: pino.Logger): Promise<string> {
  const bindAddress = `127.0.0.1:${await freeLoopbackPort()}`;
  const sdk = log.child({ component: 'temporal-sdk' });
  Runtime.install({
    logger: new DefaultLogger('WARN', ({ level, message, meta }) => {
      // the mirror's worker runs activities only, on purpose
      if (message.startsWith('No workflows registered')) return;
      sdk[level === 'ERROR' ? 'error' : 'warn'](meta ?? {}, message);
    }),
    telemetryOptions: {
      metrics: { prometheus: { bindAddress, countersTotalSuffix: true, useSecondsForDurations: true } },
    },
  });
  return `http://${bindAddress}/metrics`;
}

if (require.main === module) run();
