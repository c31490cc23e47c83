import { MAX_ENDPOINT_LENGTH } from './job';

/** Target services: `<NAME>_SERVICE_URL` defines service `<name>-service` (SPEC §1). */
export type ServiceRegistry = ReadonlyMap<string, string>;

const SERVICE_URL_VAR = /^([A-Z0-9]+(?:_[A-Z0-9]+)*)_SERVICE_URL$/;

/** `EMAIL_SERVICE_URL` → `email-service`; null for any other variable. */
export function serviceNameOfVariable(variable: string): string | null {
  const match = SERVICE_URL_VAR.exec(variable);
  return match?.[1] ? `${match[1].toLowerCase().replace(/_/g, '-')}-service` : null;
}

/** Thrown by {@link targetUrl} when a job's service or endpoint does not resolve to that service's own origin. */
export class TargetUrlError extends Error {
  override readonly name = 'TargetUrlError';
}

/**
 * `<service base URL><endpoint>`, refusing anything that would leave the service's base URL. Checked again at
 * call time: a definition read back from Temporal may have been edited there.
 */
export function targetUrl(services: ServiceRegistry, service: string, endpoint: string): URL {
  const base = services.get(service);
  if (!base) throw new TargetUrlError(`service ${service} is not configured`);
  const problem = endpointProblem(endpoint);
  if (problem) throw new TargetUrlError(`endpoint ${JSON.stringify(endpoint)} ${problem}`);
  const baseUrl = new URL(base);
  const url = new URL(base.replace(/\/+$/, '') + endpoint);
  if (url.origin !== baseUrl.origin || !url.pathname.startsWith(baseUrl.pathname.replace(/\/+$/, ''))) {
    throw new TargetUrlError(`endpoint ${endpoint} leaves ${service}`);
  }
  return url;
}

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Why an endpoint is not a plain path on a service (SPEC §2), or null when it is one. */
export function endpointProblem(endpoint: string): string | null {
  if (endpoint.length > MAX_ENDPOINT_LENGTH) return `must be at most ${MAX_ENDPOINT_LENGTH} characters`;
  if (!endpoint.startsWith('/') || endpoint.startsWith('//')) return 'must be a path starting with a single /';
  if (endpoint.includes('\\')) return 'must not contain a backslash';
  if (CONTROL_CHARS.test(endpoint)) return 'must not contain control characters';
  if (/:\/\//.test(endpoint)) return 'must not contain a scheme or host';
  const segments = (endpoint.split(/[?#]/)[0] ?? '').split('/');
  try {
    if (segments.map((s) => decodeURIComponent(s)).some((s) => s === '..' || s === '.')) {
      return 'must not contain . or .. segments';
    }
  } catch {
    return 'has an invalid percent-encoding';
  }
  return null;
}
