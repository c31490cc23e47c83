import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createSignatureVerifier, type VerifierOptions } from './verify-signature';

declare module 'fastify' {
  interface FastifyRequest {
    /** The `Idempotency-Key` of a verified scheduler call that is being handled. */
    schedulerCall?: { idempotencyKey: string };
  }
}

export interface SchedulerSignatureOptions extends VerifierOptions {
  /** Largest body read for verification. Default 1 MiB. */
  bodyLimit?: number;
}

const rawBodies = new WeakMap<FastifyRequest, Buffer>();

/**
 * Register it in the scope that holds the routes the scheduler calls. Every request there must be a signed
 * scheduler call:
 * - a missing, bad or stale signature, or an `Idempotency-Key` that is not the key the signed body names (a call's
 *   execution id, an alert's `idempotencyKey`): `401`;
 * - an execution already processed (a 2xx was answered for its key): `200 {"status":"already_processed"}` without
 *   running the handler, so the scheduler records the run as done instead of retrying work that happened;
 * - the same execution still being handled (a retry overtook a slow attempt): `425`, which the scheduler retries.
 * A 2xx answer from the handler marks the key processed, but for `202 Accepted`: an async job's work is not done
 * when it is accepted, and a later attempt (the first one timed out) must reach the handler again.
 */
const plugin: FastifyPluginAsync<SchedulerSignatureOptions> = async (app, options) => {
  const verifier = createSignatureVerifier(options);
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const inFlight = new Set<string>();

  // The HMAC covers the raw bytes: keep them, and hand Fastify's own parser an identical stream.
  app.addHook('preParsing', async (req, _reply, payload) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of payload) {
      size += (chunk as Buffer).length;
      if (size > bodyLimit) throw Object.assign(new Error(`body larger than ${bodyLimit} bytes`), { statusCode: 413 });
      chunks.push(chunk as Buffer);
    }
    const raw = Buffer.concat(chunks);
    rawBodies.set(req, raw);
    return Object.assign(Readable.from(raw.length > 0 ? [raw] : []), { receivedEncodedLength: raw.length });
  });

  app.addHook('preHandler', async (req, reply) => {
    const idempotencyKey = single(req.headers['idempotency-key']);
    const verdict = await verifier.verify({
      signature: single(req.headers['x-scheduler-signature']),
      body: rawBodies.get(req) ?? '',
      idempotencyKey,
    });
    if (!verdict.ok && verdict.reason === 'replay') return reply.code(200).send({ status: 'already_processed' });
    if (!verdict.ok) {
      return reply
        .code(401)
        .send({ error: { code: verdict.reason, message: `scheduler signature rejected: ${verdict.reason}` } });
    }
    if (!idempotencyKey) return;
    if (inFlight.has(idempotencyKey)) {
      return reply
        .code(425)
        .header('retry-after', '5')
        .send({ error: { code: 'in_progress', message: 'this execution is still being processed' } });
    }
    inFlight.add(idempotencyKey);
    req.schedulerCall = { idempotencyKey };
  });

  app.addHook('onResponse', async (req, reply) => {
    const key = req.schedulerCall?.idempotencyKey;
    if (!key) return;
    inFlight.delete(key);
    if (reply.statusCode >= 200 && reply.statusCode < 300 && reply.statusCode !== 202)
      await verifier.markProcessed(key);
  });
  // a caller that went away before the answer: the scheduler will retry, and must not find the key in flight
  app.addHook('onRequestAbort', async (req) => {
    const key = req.schedulerCall?.idempotencyKey;
    if (key) inFlight.delete(key);
  });
};

const single = (header: string | string[] | undefined) => (Array.isArray(header) ? header[0] : header);

/** Fastify plugin: verifies `X-Scheduler-Signature` and refuses replays on the routes of the scope it joins. */
export const schedulerSignature = fp(plugin, { fastify: '5.x', name: 'scheduler-signature' });
