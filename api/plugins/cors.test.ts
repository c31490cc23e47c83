import { loadConfig } from '../../config/config';
import { buildApp } from '../app';
import { createAuthenticator } from '../identity';
import type { AlertUseCases } from '../use-cases/alerts';
import type { ExecutionUseCases } from '../use-cases/executions';
import type { JobUseCases } from '../use-cases/jobs';

/** What a browser on the portal's page sees of the API, with and without `SCHEDULER_CORS_ORIGINS`. */
describe('CORS for /api (SCHEDULER_CORS_ORIGINS)', () => {
  const PORTAL = 'https://stumbleable.com';
  const ADMIN_TOKEN = 'cors-admin-token-00000';
  const app = (env: NodeJS.ProcessEnv, rateLimitPerMinute = 0) => {
    const config = loadConfig({ SCHEDULER_ADMIN_TOKENS: `ops=${ADMIN_TOKEN}`, ...env });
    return buildApp(
      {
        jobs: {
          list: async () => ({ jobs: [], nextCursor: null }),
          forgetReads: () => undefined,
        } as Partial<JobUseCases> as JobUseCases,
        executions: {} as ExecutionUseCases,
        alerts: {} as AlertUseCases,
        authenticate: createAuthenticator(config.identity),
        reconcile: async () => ({ workflowId: 'w', report: null }),
        rateLimitPerMinute,
        corsOrigins: config.corsOrigins,
        checks: { temporal: async () => undefined, store: async () => undefined },
      },
      { logger: false },
    );
  };
  const preflight = (origin: string, url = '/api/jobs', method = 'POST') => ({
    method: 'OPTIONS' as const,
    url,
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization' },
  });
  const corsHeadersOf = (headers: Record<string, unknown>) =>
    Object.keys(headers).filter((name) => name.startsWith('access-control-'));

  test("the portal's preflight is answered 204 without a token, with the methods and headers the API reads", async () => {
    const res = await app({ SCHEDULER_CORS_ORIGINS: `http://localhost:3000,${PORTAL}` }).inject(preflight(PORTAL));
    expect(res.statusCode).toBe(204);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': PORTAL,
      'access-control-allow-methods': 'GET, POST, PUT, DELETE',
      'access-control-allow-headers': 'Authorization, Content-Type',
      'access-control-max-age': '600',
    });
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(String(res.headers.vary)).toMatch(/\bOrigin\b/);
    expect(res.body).toBe('');
  });

  test('preflights are not counted against the rate limit', async () => {
    const api = app({ SCHEDULER_CORS_ORIGINS: PORTAL }, 2);
    for (let i = 0; i < 5; i++) expect((await api.inject(preflight(PORTAL))).statusCode).toBe(204);
    const auth = { origin: PORTAL, authorization: `Bearer ${ADMIN_TOKEN}` };
    expect((await api.inject({ method: 'GET', url: '/api/jobs', headers: auth })).statusCode).toBe(200);
  });

  test("the portal's requests carry its origin, refusals too, so the page can read why", async () => {
    const api = app({ SCHEDULER_CORS_ORIGINS: PORTAL });
    const ok = await api.inject({
      method: 'GET',
      url: '/api/jobs?limit=5',
      headers: { origin: PORTAL, authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(PORTAL);
    expect(ok.headers['access-control-expose-headers']).toBe('Retry-After');
    expect(String(ok.headers.vary)).toMatch(/\bOrigin\b/);
    const refused = await api.inject({
      method: 'GET',
      url: '/api/jobs',
      headers: { origin: PORTAL, authorization: 'Bearer not-a-token-of-anyone' },
    });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe(PORTAL);
    expect(refused.json().error.code).toBe('unauthorized');
  });

  test('another origin gets no CORS header: its preflight fails, and its page cannot read answers', async () => {
    const api = app({ SCHEDULER_CORS_ORIGINS: PORTAL });
    for (const origin of ['https://evil.example', 'https://stumbleable.com.evil.example', 'http://stumbleable.com']) {
      const pre = await api.inject(preflight(origin));
      expect(pre.statusCode).toBe(405);
      expect(corsHeadersOf(pre.headers)).toEqual([]);
      const get = await api.inject({
        method: 'GET',
        url: '/api/jobs',
        headers: { origin, authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(get.statusCode).toBe(200); // not a server-side block: the browser withholds the answer
      expect(corsHeadersOf(get.headers)).toEqual([]);
    }
  });

  test('only /api: the probes and docs send no CORS headers to the portal either', async () => {
    const api = app({ SCHEDULER_CORS_ORIGINS: PORTAL });
    for (const url of ['/health', '/docs/json']) {
      expect(corsHeadersOf((await api.inject(preflight(PORTAL, url, 'GET'))).headers)).toEqual([]);
      expect(corsHeadersOf((await api.inject({ method: 'GET', url, headers: { origin: PORTAL } })).headers)).toEqual(
        [],
      );
    }
  });

  test('unset: no CORS headers at all, and a preflight is the 405 it always was', async () => {
    const res = await app({}).inject(preflight(PORTAL));
    expect(res.statusCode).toBe(405);
    expect(res.json().error.code).toBe('method_not_allowed');
    expect(corsHeadersOf(res.headers)).toEqual([]);
    expect(res.headers.vary).toBeUndefined();
    const get = await app({}).inject({
      method: 'GET',
      url: '/api/jobs',
      headers: { origin: PORTAL, authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(corsHeadersOf(get.headers)).toEqual([]);
  });

  test('the preflight route makes no path an endpoint: unknown paths stay 404, wrong methods 405 without OPTIONS', async () => {
    const api = app({ SCHEDULER_CORS_ORIGINS: PORTAL });
    const unknown = await api.inject({
      method: 'GET',
      url: '/api/nope',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('route_not_found');
    const wrong = await api.inject({ method: 'PATCH', url: '/api/jobs/weekly-digest', headers: { origin: PORTAL } });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe('GET, HEAD, DELETE');
  });
});
