import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchedulerClient, SchedulerRequestError } from './scheduler-client';
import { setTimeout as sleep } from 'node:timers/promises';

/** Against a real HTTP server that comes up late and is unavailable at first, as a scheduler rolling out is. */
describe('the scheduler client services use', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  type Seen = { method: string; url: string; auth: string | undefined; body: unknown };
  function serve(port: number, answers: Array<[number, unknown]>, seen: Seen[]): Promise<void> {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body: JSON.parse(body) });
        const [status, reply] = answers.shift() ?? [500, {}];
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
      });
    });
    return new Promise((r) => server!.listen(port, '127.0.0.1', () => r()));
  }
  const freePort = async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));
    return port;
  };

  test('declare waits for a scheduler that is not up yet, then for one answering 503, and sends its token', async () => {
    const port = await freePort();
    const seen: Seen[] = [];
    const retries: string[] = [];
    const client = createSchedulerClient({
      url: `http://127.0.0.1:${port}/`,
      token: 'email-token',
      initialDelayMs: 50,
      onRetry: (reason) => retries.push(reason),
    });
    const declared = client.declare('email-service', [
      { name: 'weekly-digest', endpoint: '/digest', cron: '0 9 * * 1' },
    ]);
    await sleep(300); // nothing listens yet: connections are refused
    const result = { created: ['weekly-digest'], updated: [], unchanged: [], removed: [] };
    await serve(
      port,
      [
        [503, { error: { code: 'temporal_unavailable', message: 'Temporal is not reachable' } }],
        [200, result],
      ],
      seen,
    );

    expect(await declared).toEqual(result);
    expect(retries.some((r) => /ECONNREFUSED/.test(r))).toBe(true);
    expect(retries).toContain('HTTP 503: Temporal is not reachable');
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual({
      method: 'PUT',
      url: '/api/services/email-service/jobs',
      auth: 'Bearer email-token',
      body: { jobs: [{ service: 'email-service', name: 'weekly-digest', endpoint: '/digest', cron: '0 9 * * 1' }] },
    });
  });

  test('a refused registration is thrown at once with the field the scheduler named, not retried', async () => {
    const port = await freePort();
    const seen: Seen[] = [];
    const refusal = { code: 'invalid_job', message: 'cron: not a cron expression', field: 'cron' };
    await serve(port, [[400, { error: refusal }]], seen);
    const client = createSchedulerClient({ url: `http://127.0.0.1:${port}`, initialDelayMs: 10 });
    const attempt = client.register({ name: 'x', service: 'email-service', endpoint: '/x', cron: 'soon' });
    const error = await attempt.catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SchedulerRequestError);
    expect(error).toMatchObject({ status: 400, code: 'invalid_job', field: 'cron' });
    expect((error as Error).message).toBe('scheduler answered 400: cron: not a cron expression');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/jobs/register', auth: undefined });
  });

  test("a refusal that is no error of the scheduler's is quoted to 200 whole characters", async () => {
    const port = await freePort();
    await serve(port, [[400, '😀'.repeat(300)]], []); // a JSON string: `"😀😀…`
    const client = createSchedulerClient({ url: `http://127.0.0.1:${port}`, initialDelayMs: 10 });
    const refusal = await client.register({ name: 'x', endpoint: '/x', cron: '@daily' }).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(SchedulerRequestError);
    expect((refusal as Error).message).toBe(`scheduler answered 400: "${'😀'.repeat(199)}`);
  });

  test('gives up after maxWaitMs, and an abort stops the waiting at once', async () => {
    const port = await freePort();
    const client = createSchedulerClient({ url: `http://127.0.0.1:${port}`, initialDelayMs: 20, maxWaitMs: 200 });
    await expect(client.register({ name: 'x', endpoint: '/x', cron: '* * * * *' })).rejects.toThrow(
      /scheduler at http:\/\/127\.0\.0\.1:\d+ not reachable: .*ECONNREFUSED/,
    );
    const abort = new AbortController();
    const waiting = createSchedulerClient({ url: `http://127.0.0.1:${port}`, signal: abort.signal }).register({
      name: 'x',
      endpoint: '/x',
      cron: '* * * * *',
    });
    setTimeout(() => abort.abort(new Error('shutting down')), 50);
    await expect(waiting).rejects.toThrow('shutting down');
  });
});
