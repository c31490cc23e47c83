import { createSignatureVerifier } from '../client/index';
import { apiClient, uniqueName } from './support/api';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { startTarget, type Target } from './support/target';

/** SPEC §7 enforced by the service itself: services own their jobs; admin actions record the admin. */
describe('identity', () => {
  let target: Target;
  let scheduler: TestScheduler;
  const tokens = {
    alice: 'alice-admin-token-000000',
    email: 'email-service-token-0000',
    crawler: 'crawler-service-token-00',
  };
  const signingSecret = 'signing-secret-shared-with-services';
  const name = uniqueName('idn');
  const other = uniqueName('idn');

  beforeAll(async () => {
    target = await startTarget();
    scheduler = await startTestScheduler({
      EMAIL_SERVICE_URL: target.url,
      CRAWLER_SERVICE_URL: target.url,
      SCHEDULER_ADMIN_TOKENS: `alice=${tokens.alice}`,
      SCHEDULER_SERVICE_TOKENS: `email-service=${tokens.email},crawler-service=${tokens.crawler}`,
      SCHEDULER_SIGNING_SECRET: signingSecret,
    });
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, [name, other]);
    await scheduler.stop();
    await target.close();
  });

  test('a service registers, reads and deletes only its own jobs', async () => {
    const email = apiClient(scheduler.url, tokens.email);
    const crawler = apiClient(scheduler.url, tokens.crawler);
    const job = { name, service: 'email-service', endpoint: '/digest', cron: '0 9 * * *', enabled: false };
    expect((await apiClient(scheduler.url).register(job)).status).toBe(401);
    expect((await crawler.register(job)).status).toBe(403);
    expect((await email.register(job)).status).toBe(201);
    expect((await crawler.register({ ...job, service: 'crawler-service', endpoint: '/crawl' })).status).toBe(409);
    expect(
      (await crawler.register({ ...job, name: other, service: 'crawler-service', endpoint: '/crawl' })).status,
    ).toBe(201);

    expect((await email.call('GET', `/api/jobs/${name}`)).status).toBe(200);
    expect((await crawler.call('GET', `/api/jobs/${name}`)).status).toBe(404); // existence does not leak
    expect((await crawler.call('GET', `/api/jobs/${name}/executions`)).status).toBe(404);
    expect((await crawler.call('DELETE', `/api/jobs/${name}`)).status).toBe(404);
    expect((await email.call('GET', '/api/jobs')).status).toBe(403); // listing everything is for admins
    expect((await email.call('POST', `/api/jobs/${name}/trigger`, {})).status).toBe(403);
    expect((await email.call('PUT', '/api/services/crawler-service/jobs', { jobs: [] })).status).toBe(403);
  });

  test('an admin acts on any job, and the run records who triggered it', async () => {
    const alice = apiClient(scheduler.url, tokens.alice);
    const run = await alice.trigger(name);
    expect(run.status).toBe(202);
    const done = await alice.finished(run.body.execution.id);
    expect(done).toMatchObject({ status: 'succeeded', triggeredBy: 'alice', trigger: 'manual' });
    // the call was signed, and the verifier shipped for services accepts it once
    const call = target.calls('/digest').find((c) => c.headers['idempotency-key'] === done.id)!;
    const verifier = createSignatureVerifier({ secret: signingSecret });
    const signed = {
      signature: String(call.headers['x-scheduler-signature']),
      body: call.body,
      idempotencyKey: done.id,
    };
    expect(await verifier.verify(signed)).toEqual({ ok: true });
    await verifier.markProcessed(done.id);
    expect(await verifier.verify(signed)).toEqual({ ok: false, reason: 'replay' });
    expect(await verifier.verify({ ...signed, body: call.body.replace('manual', 'schedule') })).toMatchObject({
      ok: false,
    });
    const paused = await alice.call<{ job: { pauseNote: string } }>('POST', `/api/jobs/${other}/pause`, {
      note: 'audit',
    });
    expect(paused.body.job.pauseNote).toBe('paused by alice: audit');
    // the owner reads its run; another service does not learn of it
    expect((await apiClient(scheduler.url, tokens.email).execution(done.id)).status).toBe(200);
    expect((await apiClient(scheduler.url, tokens.crawler).execution(done.id)).status).toBe(404);
  });

  test('a service lists its own jobs and executions with ?service=<its name>, and nothing of another service', async () => {
    const email = apiClient(scheduler.url, tokens.email);
    const jobs = await email.call<{ jobs: { name: string; service: string }[] }>(
      'GET',
      '/api/jobs?service=email-service',
    );
    expect(jobs.status).toBe(200);
    expect(jobs.body.jobs.map((j) => j.name)).toContain(name);
    expect(jobs.body.jobs.every((j) => j.service === 'email-service')).toBe(true);
    const runs = await email.call<{ executions: { jobName: string; service: string }[] }>(
      'GET',
      '/api/executions?service=email-service',
    );
    expect(runs.status).toBe(200);
    expect(runs.body.executions.map((e) => e.jobName)).toContain(name);
    expect(runs.body.executions.every((e) => e.service === 'email-service')).toBe(true);
    for (const url of ['/api/jobs', '/api/jobs?service=crawler-service', '/api/executions?service=crawler-service']) {
      const refused = await email.call<{ error: { field?: string } }>('GET', url);
      expect([url, refused.status, refused.body.error.field]).toEqual([url, 403, 'service']);
    }
    // an admin still lists across services
    const all = await apiClient(scheduler.url, tokens.alice).call<{ jobs: { name: string }[] }>('GET', '/api/jobs');
    expect(all.body.jobs.map((j) => j.name)).toEqual(expect.arrayContaining([name, other]));
  });

  test('after a delete the owner still reads the job history; another service still learns nothing', async () => {
    const email = apiClient(scheduler.url, tokens.email);
    expect((await email.call('DELETE', `/api/jobs/${name}`)).status).toBe(204);
    const history = await email.call<{ executions: { id: string }[] }>('GET', `/api/jobs/${name}/executions`);
    expect(history.status).toBe(200);
    expect(history.body.executions.length).toBeGreaterThanOrEqual(1);
    expect((await apiClient(scheduler.url, tokens.crawler).call('GET', `/api/jobs/${name}/executions`)).status).toBe(
      404,
    );
  });
});
