import Fastify from 'fastify';
import { createSigner } from '../jobs/signature';
import { schedulerSignature } from './fastify-plugin';
import { setTimeout as sleep } from 'node:timers/promises';

/** A service's Fastify app with the plugin, fed requests signed by the scheduler's own signer. */
describe('the Fastify plugin services register', () => {
  const secret = 'shared-secret-of-some-length';
  const signer = createSigner(secret);

  async function service(handler: () => Promise<number> = async () => 200) {
    const handled: string[] = [];
    const app = Fastify();
    await app.register(async (scheduled) => {
      await scheduled.register(schedulerSignature, { secret });
      scheduled.post<{ Body: { executionId: string } }>('/digest', async (req, reply) => {
        handled.push(req.body.executionId);
        return reply.code(await handler()).send({ sent: true });
      });
      scheduled.get('/health-of-digest', async () => ({ ok: true }));
    });
    app.get('/public', async () => ({ open: true }));
    return { app, handled };
  }
  const call = (executionId: string, opts: { key?: string; body?: string; signature?: string } = {}) => {
    const body = JSON.stringify({ job: 'weekly-digest', executionId, payload: { to: 'all' } });
    return {
      method: 'POST' as const,
      url: '/digest',
      payload: opts.body ?? body,
      headers: {
        'content-type': 'application/json',
        'idempotency-key': opts.key ?? executionId,
        'x-scheduler-signature': opts.signature ?? signer.sign(body),
      },
    };
  };

  test('runs a signed call once; the same execution again is answered without running the handler', async () => {
    const { app, handled } = await service();
    expect((await app.inject(call('run-1'))).json()).toEqual({ sent: true });
    const again = await app.inject(call('run-1'));
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ status: 'already_processed' });
    expect(handled).toEqual(['run-1']);
  });

  test('a failed attempt is not marked processed: the retry of the same execution runs', async () => {
    const answers = [503, 200];
    const { app, handled } = await service(async () => answers.shift()!);
    expect((await app.inject(call('run-2'))).statusCode).toBe(503);
    expect((await app.inject(call('run-2'))).statusCode).toBe(200);
    expect(handled).toEqual(['run-2', 'run-2']);
  });

  test("a 202 (an async job's accepted work) is not marked processed: the next attempt reaches the handler", async () => {
    const { app, handled } = await service(async () => 202);
    expect((await app.inject(call('run-4'))).statusCode).toBe(202);
    expect((await app.inject(call('run-4'))).statusCode).toBe(202);
    expect(handled).toEqual(['run-4', 'run-4']);
  });

  test('a retry that overtakes a slow attempt of the same execution gets 425, which the scheduler retries', async () => {
    let release!: () => void;
    const { app, handled } = await service(() => new Promise((r) => (release = () => r(200))));
    const slow = app.inject(call('run-3'));
    await sleep(50);
    const overtaking = await app.inject(call('run-3'));
    expect(overtaking.statusCode).toBe(425);
    release();
    expect((await slow).statusCode).toBe(200);
    expect(handled).toEqual(['run-3']);
  });

  test.each([
    ['no signature', { signature: '' }, 'missing_signature'],
    [
      'a tampered body',
      { body: JSON.stringify({ job: 'weekly-digest', executionId: 'run-4', payload: {} }) },
      'bad_signature',
    ],
    ['a stale signature', { signature: createSigner(secret, () => Date.now() - 600_000).sign('x') }, 'bad_signature'],
    ['a fresh key on a captured body', { key: 'another-key' }, 'key_mismatch'],
    ['another secret', { signature: createSigner('another-secret-of-length').sign('x') }, 'bad_signature'],
  ])('%s is a 401 and the handler never runs', async (_label, opts, reason) => {
    const { app, handled } = await service();
    const res = await app.inject(call('run-4', opts));
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: reason } });
    expect(handled).toEqual([]);
  });

  test('a stale timestamp with a valid HMAC is refused as stale', async () => {
    const { app, handled } = await service();
    const body = JSON.stringify({ job: 'weekly-digest', executionId: 'run-5', payload: {} });
    const old = createSigner(secret, () => Date.now() - 600_000).sign(body);
    const res = await app.inject(call('run-5', { body, signature: old }));
    expect(res.json()).toMatchObject({ error: { code: 'stale' } });
    expect(handled).toEqual([]);
  });

  test('only the scope it joins is guarded; a signed GET (empty body) passes', async () => {
    const { app } = await service();
    expect((await app.inject({ method: 'GET', url: '/public' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/health-of-digest' })).statusCode).toBe(401);
    const signed = await app.inject({
      method: 'GET',
      url: '/health-of-digest',
      headers: { 'idempotency-key': 'run-6', 'x-scheduler-signature': signer.sign('') },
    });
    expect(signed.statusCode).toBe(200);
  });

  test('a body over the limit is a 413 and never reaches the handler', async () => {
    const handled: string[] = [];
    const app = Fastify();
    await app.register(async (scheduled) => {
      await scheduled.register(schedulerSignature, { secret, bodyLimit: 64 });
      scheduled.post('/digest', async () => void handled.push('ran'));
    });
    const res = await app.inject(
      call('run-7', { body: JSON.stringify({ executionId: 'run-7', pad: 'x'.repeat(100) }) }),
    );
    expect(res.statusCode).toBe(413);
    expect(handled).toEqual([]);
  });
});
