import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { AssertError, Value } from '@sinclair/typebox/value';
import { serviceNameOfVariable, serviceUrlVariableOf, type ServiceRegistry } from '../jobs/services';

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
      'Execution rows (`scheduled_jobs`) that ended more than this many days ago are removed by each reconciler pass, in batches of 500; job counters stay lifetime totals. `0` keeps every row. Must exceed `SCHEDULER_RECONCILE_LOOKBACK_HOURS` (the reconciler restores only rows of that window). 90: a quarter of history to look back on, at ~130,000 rows a year for a job every minute instead of 525,600.',
  }),
  SCHEDULER_WORKFLOW_BUNDLE: Type.Optional(
    Type.String({ minLength: 1, description: 'The prebuilt workflow bundle. Default: `dist/workflow-bundle.js`.' }),
  ),
  SCHEDULER_WORKFLOW_THREADS: Type.Integer({
    minimum: 0,
    maximum: 8,
    default: 0,
    description:
      "`0`: workflow tasks run on the main thread (one V8 isolate, ~29 MiB less RSS; the SDK's deadlock detector stays on). `n`: that many worker threads.",
  }),
  SCHEDULER_WORKER_MAX_ACTIVITIES: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 20,
    description: 'Concurrent calls (and reconciler passes) per worker.',
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
  /** Proxies in front (an ingress: 1) whose X-Forwarded-For names the client; 0 = the socket's address. */
  trustProxyHops: number;
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
      workflowThreads: values.SCHEDULER_WORKFLOW_THREADS,
      bundlePath: values.SCHEDULER_WORKFLOW_BUNDLE,
    },
    signingSecret: values.SCHEDULER_SIGNING_SECRET,
    rateLimitPerMinute: values.SCHEDULER_RATE_LIMIT_PER_MINUTE,
    trustProxyHops: hops,
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
export function configWarnings(config: Pick<Config, 'services'>): string[] {
  return config.services.size > 0
    ? []
    : [
        'no <NAME>_SERVICE_URL set: there is no service to register jobs for or to call (EMAIL_SERVICE_URL=http://localhost:7006 defines email-service)',
      ];
}

/** The accepted values of an enumeration (a union of literals), in order; null for any other schema. */
export function choicesOf(schema: TSchema): string[] | null {
  const members = schema.anyOf as TSchema[] | undefined;
  if (!Array.isArray(members) || !members.every((m) => 'const' in m)) return null;
  return members.map((m) => String(m.const));
}

/** Variables whose values never appear in an error line (they would end up in the pod's logs). */
const SECRET = /(TOKENS|SECRET|KEY)$/;

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
