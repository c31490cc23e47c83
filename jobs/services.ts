import { parseEndpoint } from './endpoint';

/** Target services: `<NAME>_SERVICE_URL` defines service `<name>-service` (SPEC §1). */
export type ServiceRegistry = ReadonlyMap<string, string>;

const SERVICE_URL_VAR = /^([A-Z0-9]+(?:_[A-Z0-9]+)*)_SERVICE_URL$/;

/** `EMAIL_SERVICE_URL` → `email-service`; null for any other variable. */
export function serviceNameOfVariable(variable: string): string | null {
  const match = SERVICE_URL_VAR.exec(variable);
  return match?.[1] ? `${match[1].toLowerCase().replace(/_/g, '-')}-service` : null;
}

/** `email-service` → `EMAIL_SERVICE_URL`, the variable that defines it; null for a name no variable defines. */
export function serviceUrlVariableOf(service: string): string | null {
  const match = /^([a-z0-9]+(?:-[a-z0-9]+)*)-service$/.exec(service);
  return match?.[1] ? `${match[1].toUpperCase().replace(/-/g, '_')}_SERVICE_URL` : null;
}

/** Thrown by {@link targetUrl} when a job's service or endpoint does not resolve to that service's own origin. */
export class TargetUrlError extends Error {
  override readonly name = 'TargetUrlError';
}

/**
 * `<service base URL><endpoint>`: the endpoint as {@link parseEndpoint} puts it, appended to the base URL's path
 * (a trailing `/` of the base is dropped). Checked again at call time: a definition read back from Temporal may
 * have been edited there.
 * @throws {@link TargetUrlError} for an unknown service, a refused endpoint, or a URL outside the base URL.
 */
export function targetUrl(services: ServiceRegistry, service: string, endpoint: string): URL {
  const base = services.get(service);
  if (!base) throw new TargetUrlError(`service ${service} is not configured`);
  const parsed = parseEndpoint(endpoint);
  if (parsed.problem !== undefined) throw new TargetUrlError(`endpoint ${JSON.stringify(endpoint)} ${parsed.problem}`);
  const baseUrl = new URL(base);
  const prefix = baseUrl.pathname.replace(/\/+$/, '');
  const url = new URL(baseUrl.origin + prefix + parsed.endpoint);
  // Defence in depth: what the parser made of the whole must be the base path followed by the endpoint as parsed.
  if (url.origin !== baseUrl.origin || url.href !== baseUrl.origin + prefix + parsed.endpoint) {
    throw new TargetUrlError(`endpoint ${JSON.stringify(endpoint)} leaves ${service}`);
  }
  return url;
}
