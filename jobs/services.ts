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

/** `<service base URL><endpoint>`, refusing anything that would leave the service's origin. */
export function targetUrl(services: ServiceRegistry, service: string, endpoint: string): URL {
  const base = services.get(service);
  if (!base) throw new TargetUrlError(`service ${service} is not configured`);
  const url = new URL(base.replace(/\/+$/, '') + endpoint);
  if (url.origin !== new URL(base).origin) throw new TargetUrlError(`endpoint ${endpoint} leaves ${service}`);
  return url;
}
