import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { apiClient, uniqueName } from './support/api';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { startTarget, type Target } from './support/target';

/**
 * The authorization matrix of SPEC §7: every endpoint against every kind of caller, through the real API, with a
 * real JWKS on loopback. Each row states the expected status of every cell; a row runs its cells left to right.
 */
describe('authorization matrix', () => {
  let target: Target;
  let scheduler: TestScheduler;
  let jwks: Server;
  let key: KeyLike;
  const issuer = 'https://clerk.stumbleable.example';
  const tokens = {
    admin: 'matrix-admin-token-0000',
    email: 'matrix-email-token-0000',
    crawler: 'matrix-crawl-token-0000',
  };
  const job = {
    name: uniqueName('authz'),
    service: 'email-service',
    endpoint: '/authz',
    cron: '0 0 1 1 *', // enabled, but fires only on 1 January
  };
  const names = [job.name];
  let failedRun = '';

  const jwt = (role: string, exp = '5m') =>
    new SignJWT({ metadata: { role } })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject('user_2matrix')
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(key);

  /** The callers, in column order. */
  let callers: Record<string, string | undefined>;
  const COLUMNS = ['none', 'badToken', 'expiredJwt', 'otherService', 'owner', 'adminToken', 'adminJwt', 'memberJwt'];

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    key = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => res.writeHead(200).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    target = await startTarget();
    target.answer('/authz', [{ status: 400, body: '{"error":"no"}' }]); // every run fails: retry has something to retry
    scheduler = await startTestScheduler({
      EMAIL_SERVICE_URL: target.url,
      CRAWLER_SERVICE_URL: target.url,
      SCHEDULER_ADMIN_TOKENS: `ops=${tokens.admin}`,
      SCHEDULER_SERVICE_TOKENS: `email-service=${tokens.email},crawler-service=${tokens.crawler}`,
      SCHEDULER_ADMIN_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
      SCHEDULER_ADMIN_JWT_ISSUER: issuer,
      SCHEDULER_ADMIN_ROLE_CLAIM: 'metadata.role',
    });
    callers = {
      none: undefined,
      badToken: 'not-a-token-anyone-was-given',
      expiredJwt: await jwt('admin', '-1m'),
      otherService: tokens.crawler,
      owner: tokens.email,
      adminToken: tokens.admin,
      adminJwt: await jwt('admin'),
      memberJwt: await jwt('member'),
    };
    const admin = apiClient(scheduler.url, tokens.admin);
    expect((await admin.register(job)).status).toBe(201);
    failedRun = (await admin.trigger(job.name)).body.execution.id;
    expect((await admin.finished(failedRun)).status).toBe('failed');
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, names);
    await scheduler.stop();
    await target.close();
    await new Promise((r) => jwks.close(r));
  });

  const hour = 3600_000;
  /** Callers without a valid admin or service identity never get past authentication (a member JWT: not an admin). */
  const cells = (otherService: number, owner: number, admin: number) => ({
    none: 401,
    badToken: 401,
    expiredJwt: 401,
    otherService,
    owner,
    adminToken: admin,
    adminJwt: admin,
    memberJwt: 403,
  });
  const open = Object.fromEntries(COLUMNS.map((c) => [c, 200]));
  type Row = [string, string, unknown, Record<string, number>];
  // prettier-ignore
  const rows: Row[] = [
    //  method    route                               body               other owner admin
    ['GET',    '/health',                           undefined,          open],
    ['GET',    '/ready',                            undefined,          open],
    ['GET',    '/api/jobs',                         undefined,          cells(403, 403, 200)],
    ['GET',    '/api/jobs?service=email-service',   undefined,          cells(403, 200, 200)],
    ['POST',   '/api/jobs/register',                'job',              cells(403, 200, 200)],
    ['GET',    '/api/jobs/:name',                   undefined,          cells(404, 200, 200)],
    ['GET',    '/api/jobs/:name/executions',        undefined,          cells(404, 200, 200)],
    ['POST',   '/api/jobs/:name/trigger',           undefined,          cells(403, 403, 202)],
    ['POST',   '/api/jobs/:name/pause',             { note: 'matrix' }, cells(403, 403, 200)],
    ['POST',   '/api/jobs/:name/resume',            undefined,          cells(403, 403, 200)],
    ['POST',   '/api/jobs/:name/backfill',          'range',            cells(403, 403, 202)],
    ['GET',    '/api/executions',                   undefined,          cells(403, 403, 200)],
    ['GET',    '/api/executions?service=email-service', undefined,      cells(403, 200, 200)],
    ['GET',    '/api/executions/:run',              undefined,          cells(404, 200, 200)],
    ['POST',   '/api/executions/:run/retry',        undefined,          cells(403, 403, 202)],
    ['PUT',    '/api/services/email-service/jobs',  'set',              cells(403, 200, 200)],
    ['POST',   '/api/reconcile',                    undefined,          cells(403, 403, 200)],
    // each cell deletes a job of its own, so that a 204 is not hidden behind an earlier cell's delete
    ['DELETE', '/api/jobs/:own',                    undefined,          cells(404, 204, 204)],
  ];

  test.each(rows)('%s %s', async (method, route, body, expected) => {
    const seen: Record<string, number> = {};
    for (const column of COLUMNS) {
      let own = '';
      if (route.includes(':own')) {
        own = uniqueName(`authz-${column.toLowerCase()}`);
        names.push(own);
        const created = await apiClient(scheduler.url, tokens.admin).register({ ...job, name: own });
        expect(created.status).toBe(201);
      }
      const url = route.replace(':name', job.name).replace(':run', failedRun).replace(':own', own);
      const payload =
        body === 'job'
          ? job
          : body === 'set'
            ? { jobs: [job] }
            : body === 'range'
              ? { from: new Date(Date.now() - 2 * hour).toISOString(), to: new Date(Date.now() - hour).toISOString() }
              : body;
      seen[column] = (await apiClient(scheduler.url, callers[column]).call(method, url, payload)).status;
    }
    expect(seen).toEqual(expected);
  });
});
