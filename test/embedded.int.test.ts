import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { apiClient } from './support/api';
import { freePort } from './support/ports';
import { eventually } from './support/target';

/**
 * The README's first command, as a newcomer runs it: `npm start` = `node dist/main.js` on the embedded defaults
 * (its own Temporal dev server, SQLite mirror), stopped with a signal. `npm test` builds dist/ first.
 */
describe('the embedded default', () => {
  const main = path.resolve(__dirname, '..', 'dist', 'main.js');
  const dataDir = mkdtempSync(path.join(process.env.INTEGRATION_TMP_DIR ?? tmpdir(), 'embedded-'));
  let ports: { api: number; temporal: number; ui: number };

  beforeAll(async () => {
    ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
  });

  function start(extra: Record<string, string | undefined> = {}): { child: ChildProcess; output: () => string } {
    let output = '';
    const env: Record<string, string | undefined> = {
      ...process.env,
      TEMPORAL_ADDRESS: undefined,
      PORT: String(ports.api),
      HOST: '127.0.0.1',
      TEMPORAL_DEV_PORT: String(ports.temporal),
      TEMPORAL_DEV_UI_PORT: String(ports.ui),
      SCHEDULER_DATA_DIR: dataDir,
      EMAIL_SERVICE_URL: 'http://127.0.0.1:9',
      SCHEDULER_RECONCILE_MINUTES: '0',
      SCHEDULER_WORKFLOW_BUNDLE: undefined,
      ...extra,
    };
    const child = spawn(process.execPath, [main], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    return { child, output: () => output };
  }
  const exited = (child: ChildProcess) =>
    new Promise<number | null>((resolve) =>
      child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve),
    );
  const refused = async (url: string) =>
    fetch(url).then(
      () => false,
      () => true,
    );

  test('starts its own Temporal, serves, survives a restart with its jobs, and stops cleanly on SIGTERM', async () => {
    const api = apiClient(`http://127.0.0.1:${ports.api}`);
    const first = start({ HOST: undefined }); // as the README's quick start runs it
    try {
      await api.ready();
      // the start-up lines are logged just after the port opens: wait for them to come through the pipe
      await eventually(
        async () => first.output(),
        (out) => out.includes(`API on http://127.0.0.1:${ports.api} (open mode: loopback only;`),
        10_000,
      );
      expect(first.output()).toContain(`Temporal Web at http://localhost:${ports.ui}`);
      expect(first.output()).toMatch(/"level":40,.*OPEN MODE: .*every caller is admin .*listens on loopback only/);
      // bound to 127.0.0.1 alone: another address of this machine (as a neighbour would reach it) is refused
      expect(await refused(`http://127.0.0.2:${ports.api}/health`)).toBe(true);
      expect((await fetch(`http://127.0.0.1:${ports.ui}/`)).status).toBe(200);
      const job = { name: 'embedded-digest', service: 'email-service', endpoint: '/digest', cron: '0 9 * * MON' };
      expect((await api.register(job)).status).toBe(201);
    } finally {
      first.child.kill('SIGTERM');
    }
    expect(await exited(first.child)).toBe(0);
    expect(await refused(`http://127.0.0.1:${ports.api}/health`)).toBe(true);
    expect(await refused(`http://127.0.0.1:${ports.ui}/`)).toBe(true); // the dev server went with it

    const second = start();
    try {
      await api.ready();
      const again = await api.register({
        name: 'embedded-digest',
        service: 'email-service',
        endpoint: '/digest',
        cron: '0 9 * * MON',
      });
      expect(again).toMatchObject({ status: 200, body: { status: 'unchanged' } }); // history kept in data/temporal.db
    } finally {
      second.child.kill('SIGINT');
    }
    expect(await exited(second.child)).toBe(0);
  });

  test('bad configuration stops the start with one line naming the variable', async () => {
    const bad = start({ PORT: 'eighty' });
    expect(await exited(bad.child)).toBe(1);
    expect(bad.output().trim().split('\n')).toEqual([
      expect.stringMatching(/^scheduler-service: bad configuration: PORT: /),
    ]);
  });

  test('in production, no identity configured refuses to start unless SCHEDULER_ALLOW_OPEN=true', async () => {
    const open = start({ NODE_ENV: 'production', SCHEDULER_SERVICE_TOKENS: '', SCHEDULER_ADMIN_TOKENS: '' });
    expect(await exited(open.child)).toBe(1);
    expect(open.output().trim().split('\n')).toEqual([
      expect.stringMatching(
        /^scheduler-service: bad configuration: SCHEDULER_ADMIN_TOKENS: .*SCHEDULER_ALLOW_OPEN=true/,
      ),
    ]);
    expect(await refused(`http://127.0.0.1:${ports.api}/health`)).toBe(true);
  });

  test('each run logs one line as it starts and one as it ends; /metrics counts it, with the SDK metrics', async () => {
    const api = apiClient(`http://127.0.0.1:${ports.api}`);
    const proc = start({ HOST: '0.0.0.0' }); // an open API off loopback: the operator's explicit choice, warned
    try {
      await api.ready();
      expect((await fetch(`http://127.0.0.2:${ports.api}/health`)).status).toBe(200);
      const warning = /"level":40,.*OPEN MODE ON 0\.0\.0\.0: .*anyone who reaches port \d+ is admin/;
      expect(
        await eventually(
          async () => proc.output(),
          (out) => warning.test(out),
          10_000,
        ),
      ).toMatch(warning);
      const job = {
        name: 'embedded-logged',
        service: 'email-service',
        endpoint: '/x',
        cron: '0 0 1 1 *',
        retry: { maxAttempts: 1 },
      };
      expect((await api.register(job)).status).toBe(201);
      const id = (await api.trigger(job.name)).body.execution.id;
      expect(await api.finished(id)).toMatchObject({ status: 'failed' }); // nothing listens on port 9
      const lines = () =>
        proc
          .output()
          .split('\n')
          .filter((l) => l.includes('"msg":"execution ') && l.includes(id)); // the runbook's grep, and the run
      await eventually(
        async () => lines(),
        (l) => l.length >= 2,
      );
      expect(lines()).toEqual([
        expect.stringMatching(
          new RegExp(
            `"level":30.*"job":"embedded-logged".*"msg":"execution started: ${id} of embedded-logged \\(manual\\)"`,
          ),
        ),
        expect.stringMatching(
          new RegExp(`"level":40.*"msg":"execution failed: ${id} of embedded-logged after 1 attempt\\(s\\)`),
        ),
      ]);
      const metrics = await (await fetch(`http://127.0.0.1:${ports.api}/metrics`)).text();
      expect(metrics).toContain(
        'scheduler_executions_total{job="embedded-logged",service="email-service",trigger="manual",status="failed"} 1',
      );
      expect(metrics).toContain('scheduler_calls_total{service="email-service",code="network"} 1');
      expect(metrics).toMatch(
        /scheduler_api_request_duration_seconds_count\{method="POST",route="\/api\/jobs\/register",status_code="201"\} 1/,
      );
      expect(metrics).toMatch(/^temporal_\w+/m); // the SDK's own
    } finally {
      proc.child.kill('SIGTERM');
    }
    expect(await exited(proc.child)).toBe(0);
  });

  test('a worker-only process answers its probes and serves metrics, and has no API', async () => {
    // ports of its own: nothing of the processes before it can be in the way
    const own = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
    const base = `http://127.0.0.1:${own.api}`;
    const proc = start({
      SCHEDULER_ROLE: 'worker',
      HOST: undefined, // no API to keep on loopback: the probes must reach it
      PORT: String(own.api),
      TEMPORAL_DEV_PORT: String(own.temporal),
      TEMPORAL_DEV_UI_PORT: String(own.ui),
    });
    try {
      await eventually(
        () => fetch(`${base}/ready`).then((r) => r.status),
        (s) => s === 200,
        60_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nexit ${proc.child.exitCode}; output:\n${proc.output()}`);
      });
      // the start-up line is logged just after the port opens: wait for it to come through the pipe
      const line = `probes and metrics on http://0.0.0.0:${own.api}`;
      expect(
        await eventually(
          async () => proc.output(),
          (out) => out.includes(line),
          10_000,
        ),
      ).toContain(line);
      expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^temporal_\w+/m);
      expect((await fetch(`http://127.0.0.2:${own.api}/ready`)).status).toBe(200);
      expect((await fetch(`${base}/api/jobs`)).status).toBe(404);
    } finally {
      proc.child.kill('SIGTERM');
    }
    expect(await exited(proc.child)).toBe(0);
  });
});
