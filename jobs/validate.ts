import {
  DEFAULT_RETRY,
  JOB_DEFAULTS,
  MAX_ENDPOINT_LENGTH,
  MAX_PAYLOAD_BYTES,
  type JobDefinition,
  type JobRegistration,
} from './job';
import type { ServiceRegistry } from './services';

/** Thrown by {@link normalizeJob} when a registration breaks a rule the schema cannot express. */
export class InvalidJobError extends Error {
  override readonly name = 'InvalidJobError';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

const CRON_SHORTHANDS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * Applies the defaults of SPEC §2 and checks what a JSON schema cannot: the service, the endpoint's shape,
 * the timezone, the payload's size and the retry intervals. The cron string gets a structural check here;
 * Temporal itself has the last word when the schedule is created.
 * @throws {@link InvalidJobError} naming the offending field.
 */
export function normalizeJob(reg: JobRegistration, services: ServiceRegistry): JobDefinition {
  const job: JobDefinition = {
    ...JOB_DEFAULTS,
    payload: {},
    ...reg,
    cron: reg.cron.trim(),
    retry: { ...DEFAULT_RETRY, ...reg.retry },
  };
  if (!services.has(job.service)) {
    const known = [...services.keys()].join(', ') || 'none configured';
    throw new InvalidJobError('service', `unknown service ${JSON.stringify(job.service)} (known: ${known})`);
  }
  checkEndpoint(job.endpoint);
  checkCron(job.cron);
  checkTimezone(job.timezone);
  if (Buffer.byteLength(JSON.stringify(job.payload)) > MAX_PAYLOAD_BYTES) {
    throw new InvalidJobError('payload', `must serialise to at most ${MAX_PAYLOAD_BYTES} bytes`);
  }
  if (job.retry.maxIntervalSeconds < job.retry.initialIntervalSeconds) {
    throw new InvalidJobError('retry.maxIntervalSeconds', 'must not be less than retry.initialIntervalSeconds');
  }
  return job;
}

function checkEndpoint(endpoint: string): void {
  const fail = (problem: string) => {
    throw new InvalidJobError('endpoint', problem);
  };
  if (endpoint.length > MAX_ENDPOINT_LENGTH) fail(`must be at most ${MAX_ENDPOINT_LENGTH} characters`);
  if (!endpoint.startsWith('/') || endpoint.startsWith('//')) fail('must be a path starting with a single /');
  if (endpoint.includes('\\')) fail('must not contain a backslash');
  if (CONTROL_CHARS.test(endpoint)) fail('must not contain control characters');
  if (/:\/\//.test(endpoint)) fail('must not contain a scheme or host');
  const path = endpoint.split(/[?#]/)[0] ?? '';
  const segments = path.split('/').map((s) => safeDecode(s));
  if (segments.some((s) => s === '..' || s === '.')) fail('must not contain . or .. segments');
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new InvalidJobError('endpoint', 'has an invalid percent-encoding');
  }
}

function checkCron(cron: string): void {
  const fail = (problem: string) => {
    throw new InvalidJobError('cron', problem);
  };
  if (cron.startsWith('@every ')) return; // Temporal parses durations (`15m`, `1h30m`, `90s/10s`)
  if (cron.startsWith('@')) {
    if (!CRON_SHORTHANDS.has(cron)) fail(`unknown shorthand ${cron}`);
    return;
  }
  const fields = cron.replace(/^CRON_TZ=\S+\s+/, '').split(/\s+/);
  if (fields.length < 5 || fields.length > 7)
    fail('must have 5 to 7 fields, a shorthand like @daily, or @every <duration>');
}

function checkTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new InvalidJobError('timezone', `unknown IANA time zone ${JSON.stringify(timezone)}`);
  }
}
