import { createHmac, timingSafeEqual } from 'node:crypto';

/*
 * The signature of the calls to services and of the generic alert webhook (SPEC §7):
 * `X-Scheduler-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed with
 * `SCHEDULER_SIGNING_SECRET`. Services verify it with client/verify-signature.ts.
 */

export interface Signer {
  /** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (SPEC §7). */
  sign(body: string): string;
}

/** Signs with `secret` at the time `now()` gives (ms since the epoch; default the clock). */
export function createSigner(secret: string, now: () => number = Date.now): Signer {
  return {
    sign(body) {
      const t = Math.floor(now() / 1000);
      return `t=${t},v1=${hmacOf(secret, t, body).toString('hex')}`;
    },
  };
}

/**
 * Whether `signature` is one {@link createSigner} made with `secret` for `body`, at whatever time it says: the
 * scheduler checks a signature it gave a service, which may be hours old (an async job's report, docs/long-running.md).
 * False for a malformed one.
 */
export function signatureMatches(secret: string, signature: string, body: string): boolean {
  const parts = new Map(signature.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(v1)) return false;
  return timingSafeEqual(hmacOf(secret, t, body), Buffer.from(v1, 'hex'));
}

const hmacOf = (secret: string, t: number, body: string) =>
  createHmac('sha256', secret).update(`${t}.${body}`).digest();
