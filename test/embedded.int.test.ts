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

  function start(extra: Record<string, string> = {}): { child: ChildProcess; output: () => string } {
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
    const first = start();
    try {
      await eventually(
        () => api.call('GET', '/ready'),
        (r) => r.status === 200,
        60_000,
      );
      expect(first.output()).toContain(`API on http://127.0.0.1:${ports.api}`);
      expect(first.output()).toContain(`Temporal Web at http://localhost:${ports.ui}`);
      expect(first.output()).toMatch(/"level":40,.*OPEN MODE: .*anyone who reaches this port is admin/); // a warning
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
      await eventually(
        () => api.call('GET', '/ready'),
        (r) => r.status === 200,
        60_000,
      );
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
});
