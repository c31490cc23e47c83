import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ScheduleUpdateOptions } from '@temporalio/client';
import { scheduleIdOf } from '../jobs/ids';
import type { RunJobInput } from '../jobs/run-input';
import { apiClient, uniqueName } from './support/api';
import { useSchedulerWithTarget } from './support/fixture';
import { isUnder, laxResolve, startGateway, type Gateway } from './support/lax-proxy';

const PREFIX = '/prefix';

/**
 * The only host the scheduler ever contacts is a configured service's base URL. A canary listens on every local
 * address at its own port, and must see zero connections across a table of hostile endpoints, redirects and a
 * definition edited behind the API's back in Temporal. `gateway-service` has a base URL with a path prefix: its
 * listener must never receive a path that a lax proxy, decoding it any number of times, reads outside the prefix.
 */
describe('no SSRF', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());
  const fx = useSchedulerWithTarget(() => ({ GATEWAY_SERVICE_URL: `${gateway.url}${PREFIX}` }));
  let canary: Server;
  let canaryPort: number;
  const canaryConnections: string[] = [];
  const api = () => apiClient(fx.scheduler.url);

  beforeAll(async () => {
    canary = createServer((socket) => {
      canaryConnections.push(String(socket.remoteAddress));
      socket.destroy();
    });
    // `::` with IPv4 mapped: 127.0.0.1, 127.1, 0.0.0.0, ::1 and ::ffff:127.0.0.1 all land here
    await new Promise<void>((r) => canary.listen({ port: 0, host: '::', ipv6Only: false }, r));
    canaryPort = (canary.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => canary.close(r)));
  afterEach(() => {
    expect(canaryConnections).toEqual([]);
    const outside = gateway.paths.flatMap((path) =>
      [0, 1, 2, 3, 4, 5, 6].map((times) => laxResolve(path, times)).filter((p) => !isUnder(p, PREFIX)),
    );
    expect(outside).toEqual([]);
    gateway.paths.length = 0; // a leak is blamed on the test that caused it only
  });

  const job = (endpoint: string, service = 'email-service') => {
    const name = uniqueName('ssrf');
    fx.jobs.push(name);
    return { name, service, endpoint, cron: '0 0 1 1 *', enabled: false };
  };
  const C = () => canaryPort;

  // Each must be refused at registration, with a message naming the endpoint.
  const refused: Array<[string, () => string]> = [
    ['an absolute URL', () => `http://127.0.0.1:${C()}/`],
    ['a scheme-relative URL', () => `//127.0.0.1:${C()}/x`],
    ['a decimal IP', () => `//2130706433:${C()}/`],
    ['a hex IP', () => `//0x7f000001:${C()}/`],
    ['an octal IP', () => `//0177.0.0.1:${C()}/`],
    ['a short IP', () => `//127.1:${C()}/`],
    ['the zero address', () => `//0.0.0.0:${C()}/`],
    ['IPv6 loopback', () => `//[::1]:${C()}/`],
    ['IPv4-mapped IPv6', () => `//[::ffff:127.0.0.1]:${C()}/`],
    ['IPv4-mapped IPv6 in hex', () => `//[::ffff:7f00:1]:${C()}/`],
    ['localhost', () => `//localhost:${C()}/`],
    ['the metadata address', () => '//169.254.169.254/latest/meta-data/'],
    ['a userinfo @ trick without a leading slash', () => `@127.0.0.1:${C()}/`],
    ['a backslash', () => `/\\127.0.0.1:${C()}/`],
    ['backslashes', () => `\\\\127.0.0.1:${C()}\\`],
    ['a tab before the host', () => `/\t/127.0.0.1:${C()}/`],
    ['a newline before the host', () => `/\n/127.0.0.1:${C()}/`],
    ['dot-dot segments', () => '/../../x'],
    ['encoded dot-dot segments', () => '/%2e%2e/%2E%2E/x'],
    ['a half-encoded dot-dot', () => '/.%2e/x'],
    ['a URL in the query', () => `/x?next=http://127.0.0.1:${C()}/`],
    ['an invalid percent-encoding', () => '/%zz'],
    ['a host after a scheme-less colon', () => `127.0.0.1:${C()}/`],
    ['encoded slashes', () => `/%2f%2f127.0.0.1:${C()}/`],
    ['encoded dot-dot-slash runs', () => `/..%2f..%2f127.0.0.1:${C()}`],
  ];
  test.each(refused)('%s is refused at registration', async (_label, endpoint) => {
    const res = await api().register(job(endpoint()));
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/endpoint/);
  });

  // A separator or dot segment hidden in percent-encoding: refused for a service behind a path prefix.
  const hidden = [
    '/api/jobs/..%2f..%2fadmin',
    '/api/jobs/..%2F..%2Fadmin',
    '/api/jobs/..%252f..%252fadmin',
    '/api/jobs/..%25252F..%25252Fadmin',
    '/api/jobs/..%5c..%5cadmin',
    '/api/jobs/..%255C..%255Cadmin',
    '/api/jobs/%2e%2e/%2E%2E/admin',
    '/api/jobs/.%2e/.%2E/admin',
    '/api/jobs/%252e%252e/%252E%252E/admin',
    '/api/jobs/..;/..;/admin',
    '/api/jobs/..%3b/..%3B/admin',
    '/api/jobs/%c0%ae%c0%ae/%c0%ae%c0%ae/admin',
    '/api/jobs/..%c0%af..%c0%afadmin',
    '/api/jobs/x/..%2f',
  ];
  test.each(hidden)('%s is refused for a service behind a path prefix', async (endpoint) => {
    const res = await api().register(job(endpoint, 'gateway-service'));
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'invalid_job', field: 'endpoint' } } });
    const set = await api().call<{ error: { message: string } }>('PUT', '/api/services/gateway-service/jobs', {
      jobs: [job('/api/jobs/fine'), job(endpoint)].map((j) => ({ ...j, service: 'gateway-service' })),
    });
    expect(set.status).toBe(400);
    expect(set.body.error.message).toMatch(/^jobs\.1\.endpoint: /);
  });

  // Each is a plain path: accepted, and its call goes to the service itself and nowhere else.
  const paths: Array<[string, () => string]> = [
    ['a userinfo @ trick inside the path', () => `/@127.0.0.1:${C()}/`],
    ['a fullwidth solidus', () => `/\uff0f\uff0f127.0.0.1:${C()}/`],
    ['a fragment with a host', () => `/x#@127.0.0.1:${C()}`],
    ['an encoded percent before 2f', () => '/api/jobs/100%25/2f'],
    ['a space and a non-ASCII letter', () => '/api/jobs/caf\u00e9 digest'],
  ];
  test.each(paths)('%s stays a path on the service', async (_label, endpoint) => {
    const body = job(endpoint());
    expect((await api().register(body)).status).toBe(201);
    const before = fx.target.calls().length;
    const run = await api().trigger(body.name);
    expect(run.status).toBe(202);
    const done = await api().finished(run.body.execution.id);
    expect(done.status).toBe('succeeded');
    expect(fx.target.calls().length).toBe(before + 1);
  });

  test.each(paths)('%s stays under the path prefix of a service behind one', async (_label, endpoint) => {
    const body = job(endpoint(), 'gateway-service');
    expect((await api().register(body)).status).toBe(201);
    const before = gateway.paths.length;
    const done = await api().finished((await api().trigger(body.name)).body.execution.id);
    expect(done.status).toBe('succeeded');
    expect(gateway.paths.length).toBe(before + 1);
    expect(gateway.paths.at(-1)).toMatch(new RegExp(`^${PREFIX}/`));
  });

  test('an endpoint is stored as a URL parser writes it: the raw spelling again is unchanged', async () => {
    const body = job('/api/jobs/caf\u00e9 digest');
    const first = await api().register(body);
    expect(first).toMatchObject({ status: 201, body: { job: { endpoint: '/api/jobs/caf%C3%A9%20digest' } } });
    expect(await api().register(body)).toMatchObject({ status: 200, body: { status: 'unchanged' } });
    const encoded = await api().register({ ...body, endpoint: '/api/jobs/caf%C3%A9%20digest' });
    expect(encoded).toMatchObject({ status: 200, body: { status: 'unchanged' } });
  });

  test.each([
    ['loopback', () => `http://127.0.0.1:${C()}/`],
    ['the metadata address', () => 'http://169.254.169.254/latest/meta-data/'],
    ['the same service', () => `${fx.target.url}/elsewhere`],
  ])('a redirect to %s is not followed: the run fails with the 3xx', async (_label, location) => {
    const path = `/redirect-${uniqueName('r')}`;
    fx.target.answer(path, [{ status: 302, headers: { location: location() } }]);
    const body = job(path);
    expect((await api().register({ ...body, retry: { maxAttempts: 1 } })).status).toBe(201);
    const done = await api().finished((await api().trigger(body.name)).body.execution.id);
    expect(done).toMatchObject({ status: 'failed', httpStatus: 302, attempts: 1 });
    expect(fx.target.calls(path)).toHaveLength(1);
    expect(fx.target.calls('/elsewhere')).toHaveLength(0);
  });

  test.each([
    ['a second host', 'email-service', () => `//127.0.0.1:${C()}/`],
    ['an encoded ../ behind a path prefix', 'gateway-service', () => '/api/jobs/..%2f..%2fadmin'],
    ['a double-encoded .. behind a path prefix', 'gateway-service', () => '/api/jobs/%252e%252e/%252e%252e/admin'],
  ])('an endpoint edited in Temporal behind the API is refused at call time: %s', async (_label, service, edited) => {
    const body = job('/legit', service);
    expect((await api().register(body)).status).toBe(201);
    const handle = fx.scheduler.client.schedule.getHandle(scheduleIdOf(body.name));
    await handle.update((previous) => {
      const action = previous.action as unknown as { args: [RunJobInput] };
      const input = action.args[0];
      const args = [{ ...input, job: { ...input.job, endpoint: edited() } }];
      return { ...previous, action: { ...previous.action, args } } as unknown as ScheduleUpdateOptions;
    });
    const gatewayBefore = gateway.paths.length;
    const run = await api().trigger(body.name);
    const done = await api().finished(run.body?.execution?.id ?? '');
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/endpoint/);
    expect(fx.target.calls('/legit')).toHaveLength(0);
    expect(gateway.paths.length).toBe(gatewayBefore);
  });
});
