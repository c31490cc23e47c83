import type { IdentityConfig } from '../config/config';
import { ForbiddenError, UnauthorizedError } from './errors';

/** Who is calling: an admin (static token) or a service (its token from SCHEDULER_SERVICE_TOKENS). */
export type Caller = { kind: 'admin'; name: string } | { kind: 'service'; name: string };

export const ANONYMOUS: Caller = Object.freeze({ kind: 'admin', name: 'anonymous' });

/** Resolves a bearer token; in open mode (no tokens configured) everyone is the admin `anonymous`. */
export function createAuthenticator(identity: IdentityConfig) {
  return (authorization: string | undefined): Caller => {
    if (identity.open) return ANONYMOUS;
    const token = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
    if (!token) throw new UnauthorizedError('Authorization: a Bearer token is required');
    const admin = identity.adminTokens.get(token);
    if (admin) return { kind: 'admin', name: admin };
    const service = identity.serviceTokens.get(token);
    if (service) return { kind: 'service', name: service };
    throw new UnauthorizedError('Authorization: unknown token');
  };
}

export function requireAdmin(caller: Caller): void {
  if (caller.kind !== 'admin') throw new ForbiddenError('This action is for admins only');
}

/** Admins may act on any service's jobs, a service only on its own. */
export const mayActFor = (caller: Caller, service: string) => caller.kind === 'admin' || caller.name === service;
