import Fastify, { type FastifyInstance } from 'fastify';
import { createSchedulerClient, schedulerSignature } from '../client/index';
import { apiClient } from './support/api';
import { freePort } from './support/ports';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * client/ as a service uses it: it declares its jobs while the scheduler is still down, and verifies the
 * scheduler's signed calls with the Fastify plugin; a replay of a processed call never reaches the handler.
 */
describe('the client services use, against the real scheduler', () => {
  const secret = 'signing-secret-shared-with-services';
  const tokens = { admin: 'client-admin-token-0000', email: 'client-email-token-0000' };
  const jobs = [
    { name: `cl-digest-${Date.now().toString(36)}`, endpoint: '/jobs/digest', cron: '0 9 * * 1', enabled: false },
  ];
  let service: FastifyInstance;
  let scheduler: TestScheduler | undefined;
  const handled: string[] = [];
  const received: { headers: Record<string, string>; body: string }[] = [];

  beforeAll(async () => {
    service = Fastify();
    await service.register(async (scheduled) => {
      await scheduled.register(schedulerSignature, { secret });
      scheduled.post<{ Body: { executionId: string } }>('/jobs/digest', async (req) => {
        handled.push(req.body.executionId);
        // what a captured request would hold (the scheduler's body is JSON.stringify output: it round-trips)
        received.push({ headers: req.headers as Record<string, string>, body: JSON.stringify(req.body) });
        return { sent: 3 };
      });
    });
    await service.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    if (scheduler) {
      await deleteSchedules(
        scheduler.client,
        jobs.map((j) => j.name),
      );
      await scheduler.stop();
    }
    await service.close();
  });

  test('declare waits for the scheduler; the signed call runs once; a replay is answered, not re-run', async () => {
    const port = await freePort();
    const retries: string[] = [];
    const client = createSchedulerClient({
      url: `http://127.0.0.1:${port}`,
      token: tokens.email,
      initialDelayMs: 100,
      maxDelayMs: 500,
      onRetry: (reason) => retries.push(reason),
    });
    const declared = client.declare('email-service', jobs);
    await sleep(500); // the scheduler is not up yet
    const address = service.server.address();
    scheduler = await startTestScheduler({
      PORT: String(port),
      EMAIL_SERVICE_URL: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
      SCHEDULER_SERVICE_TOKENS: `email-service=${tokens.email}`,
      SCHEDULER_ADMIN_TOKENS: `ops=${tokens.admin}`,
      SCHEDULER_SIGNING_SECRET: secret,
    });
    expect(await declared).toEqual({
      dryRun: false,
      created: [jobs[0]!.name],
      updated: [],
      unchanged: [],
      removed: [],
      kept: [],
      reasons: {},
    });
    expect(retries.length).toBeGreaterThan(0);
    expect(await client.declare('email-service', jobs)).toMatchObject({ unchanged: [jobs[0]!.name] });
    // a dry run of an empty set shows what it would remove, and removes nothing
    expect(await client.declare('email-service', [], { dryRun: true })).toMatchObject({
      dryRun: true,
      removed: [jobs[0]!.name],
    });
    expect(await client.declare('email-service', jobs)).toMatchObject({ unchanged: [jobs[0]!.name] });

    const admin = apiClient(scheduler.url, tokens.admin);
    const run = await admin.trigger(jobs[0]!.name);
    const done = await admin.finished(run.body.execution.id);
    expect(done).toMatchObject({ status: 'succeeded', httpStatus: 200, response: '{"sent":3}' });
    expect(handled).toEqual([done.id]);

    const { headers, body } = received[0]!;
    const resend = (payload: string) =>
      fetch(`${service.listeningOrigin}/jobs/digest`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': headers['idempotency-key']!,
          'x-scheduler-signature': headers['x-scheduler-signature']!,
        },
        body: payload,
      });
    const replay = await resend(body);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ status: 'already_processed' });
    const tampered = await resend(body.replace('"manual"', '"schedule"'));
    expect(tampered.status).toBe(401);
    expect(handled).toEqual([done.id]);
  });
});
