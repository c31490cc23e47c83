import {
  DEFAULT_RETRY,
  JOB_DEFAULTS,
  MAX_GET_PAYLOAD_BYTES,
  MAX_PAYLOAD_BYTES,
  type HttpMethod,
  type JobDefinition,
  type JobRegistration,
  type JsonObject,
} from './job';
import { parseEndpoint } from './endpoint';
import type { ServiceRegistry } from './services';

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

const CRON_SHORTHANDS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/**
 * Applies the defaults of SPEC §2 and checks what a JSON schema cannot: the service, the endpoint's shape (kept
 * in the form a URL parser gives it, see {@link parseEndpoint}),
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
  const endpoint = parseEndpoint(job.endpoint);
  if (endpoint.problem !== undefined) throw new InvalidJobError('endpoint', endpoint.problem);
  job.endpoint = endpoint.endpoint; // stored as it is called, so `/a b` and `/a%20b` are one definition
  checkCron(job.cron);
  checkTimezone(job.timezone);
  checkPayload(job.payload, job.method);
  if (job.description.includes('\u0000')) throw new InvalidJobError('description', 'must not contain NUL characters');
  if (job.retry.maxIntervalSeconds < job.retry.initialIntervalSeconds) {
    throw new InvalidJobError('retry.maxIntervalSeconds', 'must not be less than retry.initialIntervalSeconds');
  }
  return job;
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
