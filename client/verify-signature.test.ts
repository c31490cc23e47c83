import { createSigner } from '../jobs/signature';
import { createSignatureVerifier } from './verify-signature';

describe('the signature verifier services use', () => {
  const secret = 'shared-secret-of-some-length';
  let clock = 1_795_700_000_000;
  const now = () => clock;
  const signer = createSigner(secret, now);
  const body = JSON.stringify({ job: 'weekly-digest', executionId: 'job-run-weekly-digest-2026-11-30T08:00:00Z' });
  const request = (
    overrides: Partial<{ signature: string | undefined; body: string; idempotencyKey: string }> = {},
  ) => ({
    signature: signer.sign(body),
    body,
    idempotencyKey: 'job-run-weekly-digest-2026-11-30T08:00:00Z',
    ...overrides,
  });

  test('accepts what the scheduler signs, and a retry of an attempt that was not processed', async () => {
    const verifier = createSignatureVerifier({ secret, now });
    expect(await verifier.verify(request())).toEqual({ ok: true });
    expect(await verifier.verify(request())).toEqual({ ok: true }); // attempt 2 of the same execution
  });

  test('rejects a replay of a key already processed', async () => {
    const verifier = createSignatureVerifier({ secret, now });
    await verifier.markProcessed('job-run-weekly-digest-2026-11-30T08:00:00Z');
    expect(await verifier.verify(request())).toEqual({ ok: false, reason: 'replay' });
    const other = JSON.stringify({ job: 'weekly-digest', executionId: 'another-execution' });
    const fresh = { signature: signer.sign(other), body: other, idempotencyKey: 'another-execution' };
    expect(await verifier.verify(fresh)).toEqual({ ok: true });
  });

  test('rejects a captured body resent under another Idempotency-Key', async () => {
    const verifier = createSignatureVerifier({ secret, now });
    expect(await verifier.verify(request({ idempotencyKey: 'fresh-key' }))).toEqual({
      ok: false,
      reason: 'key_mismatch',
    });
  });

  test('rejects a tampered body, another secret, a malformed or missing header', async () => {
    const verifier = createSignatureVerifier({ secret, now });
    expect(await verifier.verify(request({ body: body.replace('weekly', 'daily') }))).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const other = createSigner('another-secret-of-length', now);
    expect(await verifier.verify(request({ signature: other.sign(body) }))).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(await verifier.verify(request({ signature: 't=abc,v1=00' }))).toEqual({
      ok: false,
      reason: 'malformed_signature',
    });
    expect(await verifier.verify(request({ signature: undefined }))).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
  });

  test('rejects a stale timestamp, even with a valid signature', async () => {
    const verifier = createSignatureVerifier({ secret, now, toleranceSeconds: 60 });
    const signature = signer.sign(body);
    clock += 61_000;
    expect(await verifier.verify(request({ signature }))).toEqual({ ok: false, reason: 'stale' });
    clock -= 2_000;
    expect(await verifier.verify(request({ signature }))).toEqual({ ok: true });
  });
});
