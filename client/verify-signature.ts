import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The verifier that services use for signed calls (SPEC §7): with `SCHEDULER_SIGNING_SECRET` set, every call carries
 * `X-Scheduler-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` and an `Idempotency-Key`
 * that is the same on every attempt of one execution. The generic alert webhook is signed the same way, its
 * `Idempotency-Key` the same on every attempt of one alert message. Self-contained (node:crypto only), so a service
 * can copy it.
 */

/** Keys already processed. The default is in memory; a service with several replicas passes a shared one. */
export interface ProcessedKeys {
  has(key: string): boolean | Promise<boolean>;
  add(key: string): void | Promise<void>;
}

export interface VerifierOptions {
  secret: string;
  /** How old (or how far in the future) `t` may be. Default 300 s. */
  toleranceSeconds?: number;
  processed?: ProcessedKeys;
  now?: () => number;
}

export type Verdict =
  | { ok: true }
  | {
      ok: false;
      reason: 'missing_signature' | 'malformed_signature' | 'bad_signature' | 'stale' | 'key_mismatch' | 'replay';
    };

export interface SignedRequest {
  /** The `X-Scheduler-Signature` header. */
  signature: string | undefined;
  /** The raw body exactly as received (empty for GET). */
  body: string | Buffer;
  /** The `Idempotency-Key` header. */
  idempotencyKey: string | undefined;
}

/**
 * `verify` rejects a bad or stale signature, an `Idempotency-Key` other than the one the signed body names (a call's
 * `executionId`, an alert's `idempotencyKey`), and a key already processed; call `markProcessed` once the work
 * succeeded, so that a retry of a failed attempt (same key) is still accepted.
 */
export function createSignatureVerifier(options: VerifierOptions) {
  const tolerance = options.toleranceSeconds ?? 300;
  const now = options.now ?? Date.now;
  const processed = options.processed ?? memoryKeys();
  return {
    async verify(req: SignedRequest): Promise<Verdict> {
      if (!req.signature) return { ok: false, reason: 'missing_signature' };
      const parts = new Map(req.signature.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
      const t = Number(parts.get('t'));
      const v1 = parts.get('v1') ?? '';
      if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(v1)) return { ok: false, reason: 'malformed_signature' };
      const expected = createHmac('sha256', options.secret).update(`${t}.`).update(req.body).digest();
      if (!timingSafeEqual(expected, Buffer.from(v1, 'hex'))) return { ok: false, reason: 'bad_signature' };
      if (Math.abs(now() / 1000 - t) > tolerance) return { ok: false, reason: 'stale' };
      // The key is not signed, the body's own is: a captured body resent under a fresh key is refused.
      if (req.body.length > 0 && signedKeyOf(req.body) !== req.idempotencyKey)
        return { ok: false, reason: 'key_mismatch' };
      if (req.idempotencyKey && (await processed.has(req.idempotencyKey))) return { ok: false, reason: 'replay' };
      return { ok: true };
    },
    async markProcessed(idempotencyKey: string): Promise<void> {
      await processed.add(idempotencyKey);
    },
  };
}

/** The key a signed body names: a call's `executionId`, else an alert's `idempotencyKey`. */
function signedKeyOf(body: string | Buffer): unknown {
  try {
    const parsed = JSON.parse(body.toString()) as { executionId?: unknown; idempotencyKey?: unknown } | null;
    return parsed?.executionId ?? parsed?.idempotencyKey;
  } catch {
    return undefined;
  }
}

/** Processed keys in memory, the oldest forgotten past `max`. */
export function memoryKeys(max = 100_000): ProcessedKeys {
  const keys = new Set<string>();
  return {
    has: (key) => keys.has(key),
    add(key) {
      keys.add(key);
      if (keys.size > max) keys.delete(keys.values().next().value as string);
    },
  };
}
