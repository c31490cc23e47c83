import {
  completionOf,
  DEFAULT_RETRY,
  JOB_DEFAULTS,
  MAX_GET_PAYLOAD_BYTES,
  MAX_PAYLOAD_BYTES,
  type HttpMethod,
  type JobDefinition,
  type JobRegistration,
  type JsonObject,
} from './job';
import type { AlertRuleSettings } from './alert-rules';
import { CronError, parseCron, type Cron } from './cron';
import { parseEndpoint } from './endpoint';
import { nextFires, planFires, planHorizon, type Fire, type FirePlan } from './fire-plan';
import type { ServiceRegistry } from './services';
import { isKnownZone } from './zone';
import { jobCron, spreadProblem, type JobTiming } from './spread';

/** Thrown by {@link normalizeJob} when a registration breaks a rule the schema cannot express. */
export class InvalidJobError extends Error {
  override readonly name = 'InvalidJobError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }

  /** The same error for a job inside a list, e.g. `jobs.3.endpoint`. */
  within(prefix: string): InvalidJobError {
    return new InvalidJobError(`${prefix}.${this.field}`, this.problem);
  }
}

/**
 * Applies the defaults of SPEC §2 and checks what a JSON schema cannot: the service, the endpoint's shape (kept in
 * the form a URL parser gives it, see {@link parseEndpoint}), the cron in our dialect (docs/cron.md) and its time
 * zone, the payload's size, the retry intervals and the alert destinations (`destinations`: the configured ones,
 * `config.alerts.destinations`; none by default). A `CRON_TZ=` prefix sets `timezone` when the registration gives
 * none. Alert rules are kept as written ({@link normalizeAlertRules}). Whether the cron ever fires is checked when it
 * is planned ({@link planJob}).
 * @throws {@link InvalidJobError} naming the offending field.
 */
export function normalizeJob(
  reg: JobRegistration,
  services: ServiceRegistry,
  destinations: ReadonlyMap<string, unknown> = new Map(),
): JobDefinition {
  const cron = reg.cron.trim();
  const job: JobDefinition = {
    ...JOB_DEFAULTS,
    payload: {},
    ...reg,
    cron,
    timezone: zoneOf(cron, reg.timezone),
    retry: { ...DEFAULT_RETRY, ...reg.retry },
  };
  delete job.alerts;
  const alerts = reg.alerts && normalizeAlertRules(reg.alerts, destinations);
  if (alerts) job.alerts = alerts;
  if (!services.has(job.service)) {
    const known = [...services.keys()].join(', ') || 'none configured';
    throw new InvalidJobError('service', `unknown service ${JSON.stringify(job.service)} (known: ${known})`);
  }
  const endpoint = parseEndpoint(job.endpoint);
  if (endpoint.problem !== undefined) throw new InvalidJobError('endpoint', endpoint.problem);
  job.endpoint = endpoint.endpoint; // stored as it is called, so `/a b` and `/a%20b` are one definition
  checkPayload(job.payload, job.method);
  if (job.description.includes('\u0000')) throw new InvalidJobError('description', 'must not contain NUL characters');
  if (job.retry.maxIntervalSeconds < job.retry.initialIntervalSeconds) {
    throw new InvalidJobError('retry.maxIntervalSeconds', 'must not be less than retry.initialIntervalSeconds');
  }
  checkCompletion(job);
  checkSpread(job);
  return job;
}

/**
 * The completion fields apply to an async job only, and a heartbeat timeout fits within the completion timeout.
 * @throws {@link InvalidJobError} on `completionTimeoutSeconds` or `heartbeatTimeoutSeconds`.
 */
function checkCompletion(job: JobDefinition): void {
  for (const field of ['completionTimeoutSeconds', 'heartbeatTimeoutSeconds'] as const) {
    if (job[field] !== undefined && job.async !== true) {
      throw new InvalidJobError(field, 'applies to an async job only: set async: true (docs/long-running.md)');
    }
  }
  const { completionTimeoutSeconds, heartbeatTimeoutSeconds } = completionOf(job);
  if (heartbeatTimeoutSeconds !== null && heartbeatTimeoutSeconds > completionTimeoutSeconds) {
    throw new InvalidJobError(
      'heartbeatTimeoutSeconds',
      `must not exceed completionTimeoutSeconds (${completionTimeoutSeconds})`,
    );
  }
}

/**
 * `spreadSeconds` must be one the plan can honour (jobs/spread.ts); 0 is stored as absent, so a job that sends 0 and
 * one that sends nothing are one definition (and every schedule made before the field existed stays unchanged).
 * Runs after {@link zoneOf} has checked the cron.
 * @throws {@link InvalidJobError} on `spreadSeconds`.
 */
function checkSpread(job: JobDefinition): void {
  const problem = spreadProblem(job.cron, job.spreadSeconds);
  if (problem !== null) throw new InvalidJobError('spreadSeconds', problem);
  if (job.spreadSeconds === 0) delete job.spreadSeconds;
}

/**
 * A registration's alert rules as stored: only the rules set (null included: off), destinations without repeats;
 * undefined when none is set, so a job without rules stores none, like every schedule made before rules existed.
 * @throws {@link InvalidJobError} on `alerts.destinations` naming a destination not in `configured`.
 */
function normalizeAlertRules(
  rules: AlertRuleSettings,
  configured: ReadonlyMap<string, unknown>,
): AlertRuleSettings | undefined {
  const kept = Object.fromEntries(
    Object.entries(rules).filter(([key, value]) => value !== undefined && key !== 'destinations'),
  ) as AlertRuleSettings;
  const destinations = [...new Set(rules.destinations ?? [])];
  const unknown = destinations.filter((name) => !configured.has(name));
  if (unknown.length > 0) {
    const known = [...configured.keys()].join(', ') || 'none configured in SCHEDULER_ALERT_WEBHOOKS';
    throw new InvalidJobError(
      'alerts.destinations',
      `unknown destination${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => JSON.stringify(n)).join(', ')} (known: ${known})`,
    );
  }
  if (destinations.length > 0) kept.destinations = destinations;
  return Object.keys(kept).length > 0 ? kept : undefined;
}

/** The payload rules of SPEC §2, for a registration and for a trigger's one-off override alike. */
export function checkPayload(payload: JsonObject, method: HttpMethod): void {
  const json = JSON.stringify(payload);
  const limit = method === 'GET' ? MAX_GET_PAYLOAD_BYTES : MAX_PAYLOAD_BYTES;
  if (Buffer.byteLength(json) > limit) {
    throw new InvalidJobError(
      'payload',
      `must serialise to at most ${limit} bytes${method === 'GET' ? ' for a GET job (it travels in a header)' : ''}`,
    );
  }
  if (json.includes('\\u0000')) throw new InvalidJobError('payload', 'must not contain NUL characters');
}

/**
 * The zone a cron runs in: `timezone`, or its `CRON_TZ=`/`TZ=` prefix, or UTC.
 * @throws {@link InvalidJobError} on `cron` when it is not in the dialect or its prefix disagrees with `timezone`,
 * on `timezone` when that is no IANA zone.
 */
export function zoneOf(cron: string, timezone: string | undefined): string {
  let prefix: string | null;
  try {
    prefix = parseCron(cron).timezone;
  } catch (err) {
    if (err instanceof CronError) throw new InvalidJobError('cron', err.message);
    throw err;
  }
  if (prefix !== null && !isKnownZone(prefix)) {
    throw new InvalidJobError('cron', `unknown IANA time zone ${JSON.stringify(prefix)} in its CRON_TZ= prefix`);
  }
  if (timezone !== undefined && !isKnownZone(timezone)) {
    throw new InvalidJobError('timezone', `unknown IANA time zone ${JSON.stringify(timezone)}`);
  }
  if (prefix !== null && timezone !== undefined && prefix !== timezone) {
    throw new InvalidJobError(
      'cron',
      `its prefix names ${prefix} but timezone is ${timezone}: drop the prefix or make them agree`,
    );
  }
  return prefix ?? timezone ?? JOB_DEFAULTS.timezone;
}

/**
 * The plan Temporal follows for a valid job, as of `now` (see `jobs/fire-plan.ts`): its cron's, shifted by its
 * spread offset (jobs/spread.ts).
 * @throws {@link InvalidJobError} on `cron` when it fires at no time within the plan's coming years
 * (`0 0 31 2 *`).
 */
export function planJob(job: JobTiming & Pick<JobDefinition, 'timezone'>, now = new Date()): FirePlan {
  const cron = jobCron(job);
  upcomingFires(cron, job.timezone, now, 1);
  return planFires(cron, job.timezone, now);
}

/**
 * The first `count` fire times of a valid cron at or after `now`.
 * @throws {@link InvalidJobError} on `cron` when there is none within the plan's coming years.
 */
export function upcomingFires(cron: Cron, zone: string, now: Date, count: number): Fire[] {
  const fires = nextFires(cron, zone, now, count);
  if (fires.length === 0) {
    const until = new Date(planHorizon(now).to * 60_000).getUTCFullYear();
    throw new InvalidJobError('cron', `never fires: it matches no time in ${zone} before ${until}`);
  }
  return fires;
}
