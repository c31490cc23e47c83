import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { AssertError, Value } from '@sinclair/typebox/value';
import type { AlertDestination } from '../jobs/alert';
import { ALERT_RULE_LIMITS, DEFAULT_ALERT_RULES, type AlertRuleDefaults } from '../jobs/alert-rules';
import { ALERT_DESTINATION_PATTERN } from '../jobs/schema';
import { serviceNameOfVariable, serviceUrlVariableOf, type ServiceRegistry } from '../jobs/services';

/**
 * Temporal's own `worker.schedulerNamespaceStartWorkflowRPS` (server 1.29 `common/dynamicconfig/constants.go`): what
 * an external cluster starts per second unless its operators raised it.
 */
const TEMPORAL_DEFAULT_START_RATE = 30;
/**
 * What the embedded dev server is started with: by the rate, 1,000 jobs due in one second wait at most 5 s for their
 * starts, where Temporal's default makes it 33 s; on 2 cores the runs after them are what limits a herd
 * (docs/herds.md#measured-on-the-embedded-defaults).
 */
const EMBEDDED_START_RATE = 200;

/** Thrown by {@link loadConfig} with one line naming the bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const Flag = (fallback: 'true' | 'false', description: string) =>
  Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')], {
    default: fallback,
    description,
  });
const SECRET_NOTE = 'Never echoed in errors or logs.';

/** Every variable the service reads, with its rules and meaning: docs/configuration.md is generated from this. */
export const Env = Type.Object({
  PORT: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 8080,
    description: 'The HTTP port (API, probes, metrics).',
  }),
  HOST: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'The address the HTTP server binds. Unset: `0.0.0.0` (every interface), except in open mode (no identity configured) in a process serving the API: `127.0.0.1`, so an API where every caller is admin stays on this machine. The image sets `0.0.0.0`.',
    }),
  ),
  SCHEDULER_ROLE: Type.Union([Type.Literal('all'), Type.Literal('api'), Type.Literal('worker')], {
    default: 'all',
    description:
      '`all`: API and worker in one process. `api`: the API only. `worker`: the worker only (it still serves `/health`, `/ready` and `/metrics`).',
  }),
  TEMPORAL_ADDRESS: Type.Optional(
    Type.String({
      pattern: '^[^\\s:/]+:\\d+$',
      description: '`host:port` of a Temporal frontend. Unset: the process starts the embedded Temporal dev server.',
    }),
  ),
  TEMPORAL_DEV_PORT: Type.Integer({
    minimum: 1,
    maximum: 65535,
    default: 7233,
    description: "The embedded dev server's gRPC port.",
  }),
  TEMPORAL_DEV_UI_PORT: Type.Integer({
    minimum: 1,
    maximum: 65535,
    default: 8233,
    description: "The embedded dev server's Temporal Web port.",
  }),
  TEMPORAL_NAMESPACE: Type.String({ minLength: 1, default: 'default', description: 'The Temporal namespace.' }),
  TEMPORAL_TASK_QUEUE: Type.String({
    minLength: 1,
    default: 'scheduler',
    description: 'The task queue of runs and of the reconciler.',
  }),
  TEMPORAL_UI_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description:
        "Base of the Temporal Web links in API answers. Default: the embedded dev server's UI, else `http://localhost:8233`; set it whenever `TEMPORAL_ADDRESS` is.",
    }),
  ),
  TEMPORAL_CLI_PATH: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'The Temporal CLI that runs the embedded dev server. Default: `.tools/bin/temporal` (`npm install` builds it).',
    }),
  ),
  SCHEDULER_TEMPORAL_START_RATE: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 100000,
      description:
        "Scheduled runs Temporal starts per second in the namespace (its dynamic config `worker.schedulerNamespaceStartWorkflowRPS`); more jobs due in one second than this queue, the last starting count/rate seconds late, and the fleet view (`GET /api/fleet/fires`) flags that second as a herd. Embedded dev server: the value it is started with, default `200` (1,000 jobs on one second: their starts take 5 s by the rate; measured lateness in docs/herds.md). With `TEMPORAL_ADDRESS` the scheduler cannot set it: give the cluster's value, default `30` (Temporal's own default; docs/herds.md#the-start-rate).",
    }),
  ),
  TEMPORAL_REGISTER_SEARCH_ATTRIBUTES: Flag(
    'true',
    'Register the `JobName`, `JobService` and `JobTrigger` search attributes at start (self-hosted; set `false` on Temporal Cloud and create them there).',
  ),
  TEMPORAL_TLS: Type.Optional(
    Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')], {
      description: 'TLS to `TEMPORAL_ADDRESS`. Default: on with an API key, else off.',
    }),
  ),
  TEMPORAL_API_KEY: Type.Optional(
    Type.String({
      minLength: 1,
      description: `Temporal Cloud API key (\`TEMPORAL_ADDRESS=<ns>.<acct>.tmprl.cloud:7233\`, \`TEMPORAL_NAMESPACE=<ns>.<acct>\`). ${SECRET_NOTE}`,
    }),
  ),
  SUPABASE_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description:
        'With `SUPABASE_SERVICE_KEY`: mirror into Supabase (apply `supabase/migrations/` first). Unset: the embedded SQLite mirror.',
    }),
  ),
  SUPABASE_SERVICE_KEY: Type.Optional(
    Type.String({
      minLength: 1,
      description: `The service_role key; set together with \`SUPABASE_URL\`. ${SECRET_NOTE}`,
    }),
  ),
  SCHEDULER_DATA_DIR: Type.String({
    minLength: 1,
    default: './data',
    description: "`scheduler.db` (the SQLite mirror), and the embedded dev server's `temporal.db` and `temporal.log`.",
  }),
  SCHEDULER_SERVICE_TOKENS: Type.Optional(
    Type.String({
      description: `\`service=token,…\` (tokens ≥ 16 characters): a service registers, changes, deletes and reads only its own jobs. Each service named needs its \`<NAME>_SERVICE_URL\`; no two names (here or in \`SCHEDULER_ADMIN_TOKENS\`) may share a token. ${SECRET_NOTE}`,
    }),
  ),
  SCHEDULER_ADMIN_TOKENS: Type.Optional(
    Type.String({
      description: `\`name=token,…\` (tokens ≥ 16 characters): admins; the name is what \`triggeredBy\` records. One name may hold several tokens (a rotation); no two names may share one. ${SECRET_NOTE}`,
    }),
  ),
  SCHEDULER_ALLOW_OPEN: Flag(
    'false',
    'With `NODE_ENV=production` and no identity configured, start anyway (open mode: every caller is the admin `anonymous`).',
  ),
  SCHEDULER_ADMIN_JWKS_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description:
        "Admins may present a JWT (RS256 or ES256) verified against this JWKS, e.g. the portal's Clerk session token.",
    }),
  ),
  SCHEDULER_ADMIN_JWT_ISSUER: Type.Optional(
    Type.String({ minLength: 1, description: 'The required `iss` of admin JWTs.' }),
  ),
  SCHEDULER_ADMIN_JWT_AUDIENCE: Type.Optional(
    Type.String({ minLength: 1, description: 'The required `aud` of admin JWTs.' }),
  ),
  SCHEDULER_ADMIN_ROLE_CLAIM: Type.String({
    minLength: 1,
    default: 'role',
    description: 'Dotted path of the claim holding the role, e.g. `metadata.role` for Clerk.',
  }),
  SCHEDULER_ADMIN_ROLE_VALUE: Type.String({
    minLength: 1,
    default: 'admin',
    description: 'The role value that makes a JWT an admin.',
  }),
  SCHEDULER_ADMIN_NAME_CLAIM: Type.String({
    minLength: 1,
    default: 'sub',
    description: 'Dotted path of the claim that names the admin in `triggeredBy`, e.g. `email`.',
  }),
  SCHEDULER_SIGNING_SECRET: Type.Optional(
    Type.String({
      minLength: 16,
      description: `Sign every call: \`X-Scheduler-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">\` (client/ verifies it). ${SECRET_NOTE}`,
    }),
  ),
  SCHEDULER_RATE_LIMIT_PER_MINUTE: Type.Integer({
    minimum: 0,
    maximum: 1_000_000,
    default: 1200,
    description:
      'Requests a minute per caller on `/api` (an admin, a service; per client address before authentication and in open mode). `0`: no limit.',
  }),
  SCHEDULER_CORS_ORIGINS: Type.Optional(
    Type.String({
      description:
        "`origin,…`: the web pages (exact origins: `https://stumbleable.com`, scheme, host and port, no path) whose scripts may call `/api` from the browser, e.g. the portal's admin page with a Clerk JWT. Unset: no CORS headers at all, so browsers keep every other origin's scripts out.",
    }),
  ),
  SCHEDULER_TRUST_PROXY_HOPS: Type.Integer({
    minimum: 0,
    maximum: 10,
    default: 0,
    description:
      'Proxies in front whose `X-Forwarded-For` names the client (behind the ingress: `1`), for per-address limits and logs.',
  }),
  SCHEDULER_RECONCILE_MINUTES: Type.Integer({
    minimum: 0,
    maximum: 1440,
    default: 10,
    description: "The reconciler's interval. `0` turns its schedule off (`POST /api/reconcile` still runs it).",
  }),
  SCHEDULER_RECONCILE_LOOKBACK_HOURS: Type.Integer({
    minimum: 1,
    maximum: 24 * 30,
    default: 24,
    description: 'How far back the reconciler compares closed runs with their rows.',
  }),
  SCHEDULER_HISTORY_RETENTION_DAYS: Type.Integer({
    minimum: 0,
    maximum: 36_500,
    default: 90,
    description:
      'Execution rows (`scheduled_jobs`) that ended more than this many days ago are removed by each reconciler pass, in batches of 500; job counters stay lifetime totals. Resolved alert episodes (`job_alerts`) resolved before the same cutoff go too. `0` keeps every row. Must exceed `SCHEDULER_RECONCILE_LOOKBACK_HOURS` (the reconciler restores only rows of that window). 90: a quarter of history to look back on, at ~130,000 rows a year for a job every minute instead of 525,600.',
  }),
  SCHEDULER_ALERT_WEBHOOKS: Type.Optional(
    Type.String({
      description: `\`name=url,…\`: where alerts go (names: lower-case letters, digits, \`-\`). A URL on \`hooks.slack.com\` (or \`hooks.slack-gov.com\`) gets Slack's incoming-webhook format; any other gets the generic JSON alert, signed like the calls to services when \`SCHEDULER_SIGNING_SECRET\` is set. \`slack+https://…\` forces the Slack format (a relay in front of Slack). A job that names no destination alerts to all of them; unset: alerts go nowhere. A comma in a URL is written \`%2C\`. ${SECRET_NOTE}`,
    }),
  ),
  SCHEDULER_ALERT_MAX_AGE_HOURS: Type.Integer({
    minimum: 1,
    maximum: 720,
    default: 24,
    description:
      'An alert a destination has not taken (down, or answering 408, 425, 429, 5xx) is retried until it is this old, then recorded as undeliverable.',
  }),
  SCHEDULER_ALERT_ON_FAILURE: Flag(
    'true',
    "Default of a job's `alerts.onFailure`: alert when a run ends unsuccessful (failed, timed out) after its retries.",
  ),
  SCHEDULER_ALERT_CONSECUTIVE_FAILURES: Type.Integer({
    minimum: 0,
    maximum: ALERT_RULE_LIMITS.consecutiveFailures.max,
    default: DEFAULT_ALERT_RULES.consecutiveFailures ?? 0,
    description:
      'Default of `alerts.consecutiveFailures`: alert once when this many runs in a row end unsuccessful (2 or more). `0`: off.',
  }),
  SCHEDULER_ALERT_NO_SUCCESS_WITHIN_SECONDS: Type.String({
    pattern: '^(auto|off|[0-9]+)$',
    default: String(DEFAULT_ALERT_RULES.noSuccessWithinSeconds),
    accepted: `\`auto\`, \`off\`, or seconds ${ALERT_RULE_LIMITS.noSuccessWithinSeconds.min}–${ALERT_RULE_LIMITS.noSuccessWithinSeconds.max}`,
    description:
      "Default of `alerts.noSuccessWithinSeconds`, the dead-man's switch: alert when no run succeeds for this long. `auto`: derived from each job's schedule (twice its longest gap between fire times over 8 weeks, plus jitter and one run with its retries, at least 10 minutes; docs/alerts.md#rules). `off`: no switch.",
  }),
  SCHEDULER_ALERT_RUNNING_LONGER_THAN_SECONDS: Type.String({
    pattern: '^(off|[0-9]+)$',
    default: 'off',
    accepted: `\`off\`, or seconds ${ALERT_RULE_LIMITS.runningLongerThanSeconds.min}–${ALERT_RULE_LIMITS.runningLongerThanSeconds.max}`,
    description: 'Default of `alerts.runningLongerThanSeconds`: alert while a run is still going after this long.',
  }),
  SCHEDULER_ALERT_ON_SKIPPED: Flag(
    'false',
    'Default of `alerts.onSkipped`: alert when the overlap policy skips occurrences.',
  ),
  SCHEDULER_ALERT_ON_MISSED: Flag(
    'true',
    'Default of `alerts.onMissed`: alert when occurrences are missed (older than the catch-up window when the scheduler got to them).',
  ),
  SCHEDULER_ALERT_DAMPING_SECONDS: Type.Integer({
    minimum: ALERT_RULE_LIMITS.dampingSeconds.min,
    maximum: ALERT_RULE_LIMITS.dampingSeconds.max,
    default: DEFAULT_ALERT_RULES.dampingSeconds,
    description:
      'At most one message per job and rule per this long: what changes inside the window is merged, and a flapping job sends one alert and one recovery (docs/alerts.md#damping). `0`: no damping.',
  }),
  SCHEDULER_PUBLIC_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description:
        'The service as people reach it (behind the ingress: `https://api.stumbleable.com/scheduler`): alerts link to its console at `<url>/admin/`. Default: `http://localhost:<PORT>`; set it whenever `SCHEDULER_ALERT_WEBHOOKS` is.',
    }),
  ),
  SCHEDULER_WORKFLOW_BUNDLE: Type.Optional(
    Type.String({ minLength: 1, description: 'The prebuilt workflow bundle. Default: `dist/workflow-bundle.js`.' }),
  ),
  SCHEDULER_WORKFLOW_THREADS: Type.Integer({
    minimum: 0,
    maximum: 8,
    default: 0,
    description:
      "`0`: workflow tasks run on the main thread (one V8 isolate, ~29 MiB less RSS; no deadlock detector: its timeout aborts the process there, so a slow task finishes and a stuck one fails the liveness probe). `n`: that many worker threads (the SDK's 5 s deadlock detector: a task past it fails and is retried).",
  }),
  SCHEDULER_WORKER_MAX_ACTIVITIES: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 20,
    description: 'Concurrent calls (and reconciler passes) per worker.',
  }),
  SCHEDULER_WORKER_MAX_WORKFLOW_TASKS: Type.Integer({
    minimum: 2,
    maximum: 1000,
    default: 10,
    description:
      "Workflow tasks (a run's steps between its calls, well under a millisecond each for a run) executed at once by the runs' worker; at most `SCHEDULER_WORKER_MAX_CACHED_WORKFLOWS` (docs/herds.md#the-worker).",
  }),
  SCHEDULER_WORKER_MAX_CACHED_WORKFLOWS: Type.Integer({
    minimum: 2,
    maximum: 100000,
    default: 100,
    description:
      "Runs the runs' worker keeps in memory between their workflow tasks (Temporal's sticky cache); one evicted is replayed from its history at its next task. Size it for the runs open at once in a herd (docs/herds.md#the-worker).",
  }),
  SCHEDULER_WORKER_MAX_MIRROR_WRITES: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 10,
    description:
      'Concurrent mirror writes per worker, on their own task queue (`<TEMPORAL_TASK_QUEUE>-mirror`): a slow mirror never takes the slots calls need.',
  }),
  NODE_ENV: Type.Optional(
    Type.String({
      description: '`production` refuses open mode unless `SCHEDULER_ALLOW_OPEN=true`; nothing else depends on it.',
    }),
  ),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'The pino log level.' },
  ),
});

type EnvValues = Static<typeof Env>;

export interface IdentityConfig {
  /** token → service name */
  serviceTokens: ReadonlyMap<string, string>;
  /** token → admin name */
  adminTokens: ReadonlyMap<string, string>;
  /** Admin JWTs (e.g. the portal's Clerk session tokens), verified against a JWKS. */
  adminJwt?: AdminJwtConfig;
  /** Nothing configured: every caller is the admin `anonymous`. */
  open: boolean;
}

/** Where alerts go, what they link to, and the rules a job that sets none has. */
export interface AlertsConfig {
  /** `SCHEDULER_ALERT_*`: the rules of a job that does not set them (jobs/alert-rules.ts `alertRulesOf`). */
  rules: AlertRuleDefaults;
  /** `SCHEDULER_ALERT_WEBHOOKS`, by name, in the order given; empty: alerts go nowhere. */
  destinations: ReadonlyMap<string, AlertDestination>;
  /** Hours after which an alert not yet delivered is recorded as undeliverable instead. */
  maxAgeHours: number;
  /** The admin console, `<SCHEDULER_PUBLIC_URL>/admin/`, with its trailing slash. */
  consoleUrl: string;
  /** Whether `SCHEDULER_PUBLIC_URL` said where the service is (else links point at localhost). */
  publicUrlSet: boolean;
}

export interface AdminJwtConfig {
  jwksUrl: string;
  issuer?: string;
  audience?: string;
  /** Dotted path of the claim holding the role, e.g. `role` or `metadata.role`. */
  roleClaim: string;
  /** The role value that makes an admin. */
  role: string;
  /** Dotted path of the claim that names the admin in `triggeredBy` (e.g. `sub` or `email`). */
  nameClaim: string;
}

export interface Config {
  port: number;
  /** The address to bind: `HOST`, else {@link defaultHost}. */
  host: string;
  /** Whether `HOST` chose it (binding an open API off loopback is then the operator's explicit choice). */
  hostSet: boolean;
  role: 'all' | 'api' | 'worker';
  /** What {@link role} runs in this process: the API (every role but `worker`), the worker (every role but `api`). */
  runs: { api: boolean; worker: boolean };
  logLevel: EnvValues['LOG_LEVEL'];
  temporal: {
    /** Unset: the process launches a local dev server itself. */
    address?: string;
    devPort: number;
    devUiPort: number;
    cliPath?: string;
    namespace: string;
    taskQueue: string;
    /**
     * Temporal Web, when known: `TEMPORAL_UI_URL`, else the embedded dev server's (without `address`); unset for an
     * external server without `TEMPORAL_UI_URL`.
     */
    uiUrl?: string;
    /** Base of the Temporal Web links in API answers: `uiUrl`, else `http://localhost:8233`. */
    linkBaseUrl: string;
    registerSearchAttributes: boolean;
    /**
     * Scheduled starts per second per namespace (`SCHEDULER_TEMPORAL_START_RATE`): what the embedded dev server is
     * started with ({@link EMBEDDED_START_RATE} by default), or what an external cluster is configured with
     * ({@link TEMPORAL_DEFAULT_START_RATE} by default, Temporal's own).
     */
    startRate: number;
    /** TLS to the frontend: on by default with an API key (Temporal Cloud), else off. */
    tls: boolean;
    apiKey?: string;
    /**
     * What a connection to `address` carries: TLS (when `tls`) and the API key. Empty without `address`: the
     * embedded dev server is plain loopback, and neither reaches it.
     */
    credentials: { tls?: true; apiKey?: string };
  };
  store: { supabaseUrl?: string; supabaseServiceKey?: string; dataDir: string };
  services: ServiceRegistry;
  identity: IdentityConfig;
  /** bundlePath: the workflow bundle; default: `workflow-bundle.js` next to the compiled main. */
  worker: {
    maxConcurrentActivities: number;
    maxConcurrentMirrorWrites: number;
    /** The runs' worker's workflow task slots and sticky cache: `maxWorkflowTasks` ≤ `maxCachedWorkflows`. */
    maxWorkflowTasks: number;
    maxCachedWorkflows: number;
    workflowThreads: number;
    bundlePath?: string;
  };
  /**
   * The reconciler's schedule (every 0 = off), how far back it compares closed runs, and the history retention its
   * passes apply (days; 0 = keep every row).
   */
  reconcile: { everyMinutes: number; lookbackHours: number; retentionDays: number };
  /** HMAC secret for `X-Scheduler-Signature` on every call to a service. */
  signingSecret?: string;
  /** Requests a minute per caller on /api; 0 = no limit. */
  rateLimitPerMinute: number;
  alerts: AlertsConfig;
  /** Proxies in front (an ingress: 1) whose X-Forwarded-For names the client; 0 = the socket's address. */
  trustProxyHops: number;
  /** Origins (`https://stumbleable.com`) whose pages may call /api from the browser; empty = no CORS at all. */
  corsOrigins: readonly string[];
  /**
   * Fastify's `trustProxy` for {@link trustProxyHops}: X-Forwarded-For's last n entries are the proxies', the one
   * before names the client. A function, because Fastify 5 takes a bare hop count as "trust no proxy".
   */
  trustProxy: false | ((address: string, hop: number) => boolean);
}

/** Where Temporal Web links point when nothing says where Temporal Web is. */
const FALLBACK_UI_URL = 'http://localhost:8233';

/**
 * Where the HTTP server listens when `HOST` is unset: every interface, except for an API in open mode (every caller
 * is admin), which stays on loopback. A worker-only process serves no API, only probes and metrics.
 */
function defaultHost(role: Config['role'], open: boolean): string {
  return open && role !== 'worker' ? '127.0.0.1' : '0.0.0.0';
}

/** Whether an address is this machine's own: `localhost`, 127.0.0.0/8 or ::1. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Reads the environment once, at start. @throws {@link ConfigError} naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  let values: EnvValues;
  try {
    // An empty variable is an unset one (`FOO=` in a .env file or a manifest).
    values = Value.Parse(Env, Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  } catch (err) {
    if (!(err instanceof AssertError)) throw err;
    const name = err.error?.path.slice(1) || 'environment';
    const shown = SECRET.test(name) ? '(value hidden)' : `(got ${JSON.stringify(env[name] ?? null)})`;
    const choices = err.error && choicesOf(err.error.schema);
    const problem = choices ? `must be one of ${choices.join(', ')}` : (err.error?.message ?? err.message);
    throw new ConfigError(`${name}: ${problem} ${shown}`);
  }
  if (Boolean(values.SUPABASE_URL) !== Boolean(values.SUPABASE_SERVICE_KEY)) {
    const missing = values.SUPABASE_URL ? 'SUPABASE_SERVICE_KEY' : 'SUPABASE_URL';
    throw new ConfigError(
      `${missing}: must be set together with ${missing === 'SUPABASE_URL' ? 'SUPABASE_SERVICE_KEY' : 'SUPABASE_URL'}`,
    );
  }
  const retentionHours = values.SCHEDULER_HISTORY_RETENTION_DAYS * 24;
  if (retentionHours > 0 && retentionHours <= values.SCHEDULER_RECONCILE_LOOKBACK_HOURS) {
    // a row retention removed inside the lookback would be restored by the reconciler, and counted again
    const days = values.SCHEDULER_HISTORY_RETENTION_DAYS;
    throw new ConfigError(
      `SCHEDULER_HISTORY_RETENTION_DAYS: ${days} day(s) (${retentionHours} h) must exceed SCHEDULER_RECONCILE_LOOKBACK_HOURS (${values.SCHEDULER_RECONCILE_LOOKBACK_HOURS} h), or the reconciler could restore rows retention removed; set more days, or 0 to keep every row`,
    );
  }
  if (values.SCHEDULER_WORKER_MAX_WORKFLOW_TASKS > values.SCHEDULER_WORKER_MAX_CACHED_WORKFLOWS) {
    // Temporal's SDK would lower the slots to the cache size with a warning nobody reads
    throw new ConfigError(
      `SCHEDULER_WORKER_MAX_WORKFLOW_TASKS: ${values.SCHEDULER_WORKER_MAX_WORKFLOW_TASKS} must not exceed SCHEDULER_WORKER_MAX_CACHED_WORKFLOWS (${values.SCHEDULER_WORKER_MAX_CACHED_WORKFLOWS}): a workflow task needs its run in the cache`,
    );
  }
  const identity = identityFrom(values);
  const services = servicesFrom(env);
  for (const service of new Set(identity.serviceTokens.values())) {
    if (services.has(service)) continue;
    const variable = serviceUrlVariableOf(service);
    throw new ConfigError(
      variable
        ? `SCHEDULER_SERVICE_TOKENS: ${service} has a token but ${variable} is not set`
        : `SCHEDULER_SERVICE_TOKENS: ${service} is no service name: a service is named by its <NAME>_SERVICE_URL (EMAIL_SERVICE_URL → email-service)`,
    );
  }
  if (identity.open && values.NODE_ENV === 'production' && !isTrue(values.SCHEDULER_ALLOW_OPEN)) {
    throw new ConfigError(
      'SCHEDULER_ADMIN_TOKENS: no tokens (nor SCHEDULER_ADMIN_JWKS_URL) configured in production; set them or SCHEDULER_ALLOW_OPEN=true',
    );
  }
  const tls = values.TEMPORAL_TLS === undefined ? Boolean(values.TEMPORAL_API_KEY) : isTrue(values.TEMPORAL_TLS);
  const uiUrl =
    values.TEMPORAL_UI_URL?.replace(/\/+$/, '') ??
    (values.TEMPORAL_ADDRESS ? undefined : `http://localhost:${values.TEMPORAL_DEV_UI_PORT}`);
  const hops = values.SCHEDULER_TRUST_PROXY_HOPS;
  return Object.freeze({
    port: values.PORT,
    host: values.HOST ?? defaultHost(values.SCHEDULER_ROLE, identity.open),
    hostSet: values.HOST !== undefined,
    role: values.SCHEDULER_ROLE,
    runs: { api: values.SCHEDULER_ROLE !== 'worker', worker: values.SCHEDULER_ROLE !== 'api' },
    logLevel: values.LOG_LEVEL,
    temporal: {
      address: values.TEMPORAL_ADDRESS,
      devPort: values.TEMPORAL_DEV_PORT,
      devUiPort: values.TEMPORAL_DEV_UI_PORT,
      cliPath: values.TEMPORAL_CLI_PATH,
      namespace: values.TEMPORAL_NAMESPACE,
      taskQueue: values.TEMPORAL_TASK_QUEUE,
      uiUrl,
      linkBaseUrl: uiUrl ?? FALLBACK_UI_URL,
      registerSearchAttributes: isTrue(values.TEMPORAL_REGISTER_SEARCH_ATTRIBUTES),
      startRate:
        values.SCHEDULER_TEMPORAL_START_RATE ??
        (values.TEMPORAL_ADDRESS ? TEMPORAL_DEFAULT_START_RATE : EMBEDDED_START_RATE),
      tls,
      apiKey: values.TEMPORAL_API_KEY,
      credentials: values.TEMPORAL_ADDRESS ? { tls: tls || undefined, apiKey: values.TEMPORAL_API_KEY } : {},
    },
    store: {
      supabaseUrl: values.SUPABASE_URL,
      supabaseServiceKey: values.SUPABASE_SERVICE_KEY,
      dataDir: values.SCHEDULER_DATA_DIR,
    },
    services,
    identity,
    worker: {
      maxConcurrentActivities: values.SCHEDULER_WORKER_MAX_ACTIVITIES,
      maxConcurrentMirrorWrites: values.SCHEDULER_WORKER_MAX_MIRROR_WRITES,
      maxWorkflowTasks: values.SCHEDULER_WORKER_MAX_WORKFLOW_TASKS,
      maxCachedWorkflows: values.SCHEDULER_WORKER_MAX_CACHED_WORKFLOWS,
      workflowThreads: values.SCHEDULER_WORKFLOW_THREADS,
      bundlePath: values.SCHEDULER_WORKFLOW_BUNDLE,
    },
    signingSecret: values.SCHEDULER_SIGNING_SECRET,
    rateLimitPerMinute: values.SCHEDULER_RATE_LIMIT_PER_MINUTE,
    alerts: {
      rules: alertRulesFrom(values),
      destinations: alertDestinationsFrom(values.SCHEDULER_ALERT_WEBHOOKS),
      maxAgeHours: values.SCHEDULER_ALERT_MAX_AGE_HOURS,
      consoleUrl: `${(values.SCHEDULER_PUBLIC_URL ?? `http://localhost:${values.PORT}`).replace(/\/+$/, '')}/admin/`,
      publicUrlSet: values.SCHEDULER_PUBLIC_URL !== undefined,
    },
    trustProxyHops: hops,
    corsOrigins: originsFrom(values.SCHEDULER_CORS_ORIGINS),
    trustProxy: hops > 0 ? (_address: string, hop: number) => hop < hops : false,
    reconcile: {
      everyMinutes: values.SCHEDULER_RECONCILE_MINUTES,
      lookbackHours: values.SCHEDULER_RECONCILE_LOOKBACK_HOURS,
      retentionDays: values.SCHEDULER_HISTORY_RETENTION_DAYS,
    },
  });
}

/**
 * What a process started with this configuration should warn about at start (one line each): it runs, but not as
 * a user likely meant.
 */
export function configWarnings(config: Pick<Config, 'services' | 'alerts'>): string[] {
  const warnings: string[] = [];
  if (config.services.size === 0) {
    warnings.push(
      'no <NAME>_SERVICE_URL set: there is no service to register jobs for or to call (EMAIL_SERVICE_URL=http://localhost:7006 defines email-service)',
    );
  }
  if (config.alerts.destinations.size > 0 && !config.alerts.publicUrlSet) {
    warnings.push(
      `SCHEDULER_PUBLIC_URL not set: alerts link to the console at ${config.alerts.consoleUrl}, which only this machine can open`,
    );
  }
  return warnings;
}

/** The accepted values of an enumeration (a union of literals), in order; null for any other schema. */
export function choicesOf(schema: TSchema): string[] | null {
  const members = schema.anyOf as TSchema[] | undefined;
  if (!Array.isArray(members) || !members.every((m) => 'const' in m)) return null;
  return members.map((m) => String(m.const));
}

/** Variables whose values never appear in an error line (they would end up in the pod's logs). */
const SECRET = /(TOKENS|SECRET|KEY|WEBHOOKS)$/;

const isTrue = (flag: string) => flag === 'true' || flag === '1';

function servicesFrom(env: NodeJS.ProcessEnv): ServiceRegistry {
  const services = new Map<string, string>();
  for (const [variable, value] of Object.entries(env)) {
    const service = serviceNameOfVariable(variable);
    if (!service || value === undefined) continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigError(`${variable}: must be an http(s) URL (got ${JSON.stringify(value)})`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigError(`${variable}: must be an http(s) URL (got ${JSON.stringify(value)})`);
    }
    if (url.search || url.hash || url.username) {
      throw new ConfigError(`${variable}: must be a base URL without query, fragment or credentials`);
    }
    services.set(service, value.replace(/\/+$/, ''));
  }
  return services;
}

/** `SCHEDULER_CORS_ORIGINS`: each entry exactly an http(s) origin as a browser sends it in `Origin`. */
function originsFrom(raw: string | undefined): string[] {
  const origins = (raw ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(origin);
    } catch {
      // reported below
    }
    // A browser's Origin header is the serialised origin: lower-case, no default port, no path, not even a `/`.
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(
        `SCHEDULER_CORS_ORIGINS: ${JSON.stringify(origin)} is not an origin; list each as scheme://host[:port] with no path or trailing slash, e.g. https://stumbleable.com`,
      );
    }
  }
  return origins;
}

/** Slack's incoming-webhook hosts: a URL on one of them gets the Slack format. */
const SLACK_HOSTS = new Set(['hooks.slack.com', 'hooks.slack-gov.com']);
const SLACK_PREFIX = 'slack+';
const DESTINATION_NAME = new RegExp(ALERT_DESTINATION_PATTERN);

/**
 * `SCHEDULER_ALERT_WEBHOOKS`: `name=url,…`. A URL is never echoed in an error (a Slack webhook's path is its
 * credential); the entry is named by its name, or its position when the name is what is wrong.
 */
function alertDestinationsFrom(raw: string | undefined): Map<string, AlertDestination> {
  const variable = 'SCHEDULER_ALERT_WEBHOOKS';
  const destinations = new Map<string, AlertDestination>();
  const entries = (raw ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  entries.forEach((entry, index) => {
    const at = entry.indexOf('=');
    const name = at < 0 ? '' : entry.slice(0, at).trim();
    if (!DESTINATION_NAME.test(name)) {
      throw new ConfigError(
        `${variable}: entry ${index + 1} needs a name of lower-case letters, digits and - before its URL (name=url,…)`,
      );
    }
    if (destinations.has(name)) throw new ConfigError(`${variable}: ${name} is named twice; each name once`);
    let value = entry.slice(at + 1).trim();
    const forcedSlack = value.startsWith(SLACK_PREFIX);
    if (forcedSlack) value = value.slice(SLACK_PREFIX.length);
    let url: URL | null = null;
    try {
      url = new URL(value);
    } catch {
      // reported below
    }
    if (!url || !/^https?:$/.test(url.protocol)) {
      throw new ConfigError(`${variable}: the URL of ${name} must be an http(s) URL (value hidden)`);
    }
    if (url.username || url.password || url.hash) {
      throw new ConfigError(`${variable}: the URL of ${name} must have no credentials or fragment (value hidden)`);
    }
    const kind = forcedSlack || SLACK_HOSTS.has(url.hostname) ? 'slack' : 'webhook';
    destinations.set(name, { name, kind, url: url.href });
  });
  return destinations;
}

/** `SCHEDULER_ALERT_*`: the default alert rules, each in the bounds a registration has. */
function alertRulesFrom(values: EnvValues): AlertRuleDefaults {
  const failures = values.SCHEDULER_ALERT_CONSECUTIVE_FAILURES;
  if (failures === 1) {
    throw new ConfigError(
      'SCHEDULER_ALERT_CONSECUTIVE_FAILURES: must be 0 (off) or at least 2 (got "1"); SCHEDULER_ALERT_ON_FAILURE alerts on every failed run',
    );
  }
  const noSuccess = values.SCHEDULER_ALERT_NO_SUCCESS_WITHIN_SECONDS;
  return {
    onFailure: isTrue(values.SCHEDULER_ALERT_ON_FAILURE),
    consecutiveFailures: failures === 0 ? null : failures,
    noSuccessWithinSeconds:
      noSuccess === 'auto'
        ? 'auto'
        : secondsOrOff(
            'SCHEDULER_ALERT_NO_SUCCESS_WITHIN_SECONDS',
            noSuccess,
            ALERT_RULE_LIMITS.noSuccessWithinSeconds,
          ),
    runningLongerThanSeconds: secondsOrOff(
      'SCHEDULER_ALERT_RUNNING_LONGER_THAN_SECONDS',
      values.SCHEDULER_ALERT_RUNNING_LONGER_THAN_SECONDS,
      ALERT_RULE_LIMITS.runningLongerThanSeconds,
    ),
    onSkipped: isTrue(values.SCHEDULER_ALERT_ON_SKIPPED),
    onMissed: isTrue(values.SCHEDULER_ALERT_ON_MISSED),
    dampingSeconds: values.SCHEDULER_ALERT_DAMPING_SECONDS,
  };
}

/** `off` → null, else whole seconds within `limits`. */
function secondsOrOff(variable: string, raw: string, limits: { min: number; max: number }): number | null {
  if (raw === 'off') return null;
  const seconds = Number(raw);
  if (seconds < limits.min || seconds > limits.max) {
    throw new ConfigError(
      `${variable}: must be off or seconds from ${limits.min} to ${limits.max} (got ${JSON.stringify(raw)})`,
    );
  }
  return seconds;
}

function identityFrom(values: EnvValues): IdentityConfig {
  const serviceTokens = tokenPairs('SCHEDULER_SERVICE_TOKENS', values.SCHEDULER_SERVICE_TOKENS);
  const adminTokens = tokenPairs('SCHEDULER_ADMIN_TOKENS', values.SCHEDULER_ADMIN_TOKENS);
  for (const [token, admin] of adminTokens) {
    const service = serviceTokens.get(token);
    if (service !== undefined) {
      throw new ConfigError(
        `SCHEDULER_ADMIN_TOKENS: admin ${admin} and service ${service} (SCHEDULER_SERVICE_TOKENS) share a token; each needs its own`,
      );
    }
  }
  const adminJwt: AdminJwtConfig | undefined = values.SCHEDULER_ADMIN_JWKS_URL
    ? {
        jwksUrl: values.SCHEDULER_ADMIN_JWKS_URL,
        issuer: values.SCHEDULER_ADMIN_JWT_ISSUER,
        audience: values.SCHEDULER_ADMIN_JWT_AUDIENCE,
        roleClaim: values.SCHEDULER_ADMIN_ROLE_CLAIM,
        role: values.SCHEDULER_ADMIN_ROLE_VALUE,
        nameClaim: values.SCHEDULER_ADMIN_NAME_CLAIM,
      }
    : undefined;
  const open = serviceTokens.size === 0 && adminTokens.size === 0 && !adminJwt;
  return { serviceTokens, adminTokens, adminJwt, open };
}

/** `name=token,name=token` → token → name. One name may have several tokens (a rotation), never two names one. */
function tokenPairs(variable: string, raw: string | undefined): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const entry of (raw ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const at = entry.indexOf('=');
    const name = entry.slice(0, at).trim();
    const token = entry.slice(at + 1).trim();
    if (at <= 0 || !token) throw new ConfigError(`${variable}: entries must look like name=token`);
    if (token.length < 16) throw new ConfigError(`${variable}: the token of ${name} must be at least 16 characters`);
    const holder = pairs.get(token);
    if (holder !== undefined && holder !== name) {
      throw new ConfigError(`${variable}: ${holder} and ${name} share a token; each needs its own`);
    }
    pairs.set(token, name);
  }
  return pairs;
}
