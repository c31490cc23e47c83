import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ScheduleUpdateOptions } from '@temporalio/client';
import { scheduleIdOf } from '../jobs/ids';
import type { RunJobInput } from '../jobs/run-input';
import { apiClient, uniqueName } from './support/api';
import { useSchedulerWithTarget } from './support/fixture';

/**
 * The only host the scheduler ever contacts is a configured service's base URL. A canary listens on every local
 * address at its own port, and must see zero connections across a table of hostile endpoints, redirects and a
 * definition edited behind the API's back in Temporal.
 */
describe('no SSRF', () => {
  const fx = useSchedulerWithTarget();
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
  afterEach(() => expect(canaryConnections).toEqual([]));

  const job = (endpoint: string) => {
    const name = uniqueName('ssrf');
    fx.jobs.push(name);
    return { name, service: 'email-service', endpoint, cron: '0 0 1 1 *', enabled: false };
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
  ];
  test.each(refused)('%s is refused at registration', async (_label, endpoint) => {
    const res = await api().register(job(endpoint()));
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/endpoint/);
  });

  // Each is a plain path: accepted, and its call goes to the service itself and nowhere else.
  const paths: Array<[string, () => string]> = [
    ['a userinfo @ trick inside the path', () => `/@127.0.0.1:${C()}/`],
    ['encoded slashes', () => `/%2f%2f127.0.0.1:${C()}/`],
    ['encoded dot-dot-slash runs', () => `/..%2f..%2f127.0.0.1:${C()}`],
    ['a fullwidth solidus', () => `/\uff0f\uff0f127.0.0.1:${C()}/`],
    ['a fragment with a host', () => `/x#@127.0.0.1:${C()}`],
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

  test('an endpoint edited in Temporal behind the API is refused at call time', async () => {
    const body = job('/legit');
    expect((await api().register(body)).status).toBe(201);
    const handle = fx.scheduler.client.schedule.getHandle(scheduleIdOf(body.name));
    await handle.update((previous) => {
      const action = previous.action as unknown as { args: [RunJobInput] };
      const input = action.args[0];
      const args = [{ ...input, job: { ...input.job, endpoint: `//127.0.0.1:${C()}/` } }];
      return { ...previous, action: { ...previous.action, args } } as unknown as ScheduleUpdateOptions;
    });
    const run = await api().trigger(body.name);
    const done = await api().finished(run.body?.execution?.id ?? '');
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/endpoint/);
    expect(fx.target.calls('/legit')).toHaveLength(0);
  });
});
