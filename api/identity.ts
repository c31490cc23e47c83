import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { AdminJwtConfig, IdentityConfig } from '../config/config';
import { ForbiddenError, UnauthorizedError } from './errors';

/** Who is calling: an admin (static token or JWT) or a service (its token from SCHEDULER_SERVICE_TOKENS). */
export type Caller = { kind: 'admin'; name: string } | { kind: 'service'; name: string };

export const ANONYMOUS: Caller = Object.freeze({ kind: 'admin', name: 'anonymous' });

/** Resolves a bearer token; in open mode (nothing configured) everyone is the admin `anonymous`. */
export function createAuthenticator(identity: IdentityConfig) {
  const verifyJwt = identity.adminJwt ? createJwtVerifier(identity.adminJwt) : null;
  return async (authorization: string | undefined): Promise<Caller> => {
    if (identity.open) return ANONYMOUS;
    const token = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
    if (!token) throw new UnauthorizedError('Authorization: a Bearer token is required');
    const admin = identity.adminTokens.get(token);
    if (admin) return { kind: 'admin', name: admin };
    const service = identity.serviceTokens.get(token);
    if (service) return { kind: 'service', name: service };
    if (verifyJwt && token.split('.').length === 3) return verifyJwt(token);
    throw new UnauthorizedError('Authorization: unknown token');
  };
}

/** Asymmetric only: Clerk signs RS256; ES256 for issuers on P-256 keys. */
const ADMIN_JWT_ALGORITHMS = ['RS256', 'ES256'];

/** Admin JWTs: signature against the JWKS (keys cached and refreshed by jose), issuer, audience, expiry, role. */
function createJwtVerifier(config: AdminJwtConfig) {
  const keys = createRemoteJWKSet(new URL(config.jwksUrl));
  return async (token: string): Promise<Caller> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: ADMIN_JWT_ALGORITHMS, // never `none`, never an HMAC keyed with a public key
      }));
    } catch {
      throw new UnauthorizedError('Authorization: invalid or expired token');
    }
    if (claim(payload, config.roleClaim) !== config.role) throw new ForbiddenError('Authorization: not an admin');
    const name = claim(payload, config.nameClaim);
    return { kind: 'admin', name: typeof name === 'string' && name ? name : String(payload.sub ?? 'admin') };
  };
}

const claim = (payload: JWTPayload, dotted: string): unknown =>
  dotted
    .split('.')
    .reduce<unknown>(
      (v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined),
      payload,
    );

export function requireAdmin(caller: Caller): void {
  if (caller.kind !== 'admin') throw new ForbiddenError('This action is for admins only');
}

/**
 * A list across services is for admins; a service lists its own (`what`: jobs, executions) by naming itself in
 * `?service=`, so the same URL means the same list for every caller.
 * @throws {@link ForbiddenError} on `service` for a service that names another service, or none.
 */
export function requireListOf(caller: Caller, service: string | undefined, what: string): void {
  if (caller.kind === 'admin' || service === caller.name) return;
  throw new ForbiddenError(
    `service: a service lists only its own ${what}: ask with ?service=${caller.name}`,
    'service',
  );
}

/** Admins may act on any service's jobs, a service only on its own. */
export const mayActFor = (caller: Caller, service: string) => caller.kind === 'admin' || caller.name === service;
