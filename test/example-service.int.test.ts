import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { JobView } from '../api/schemas/jobs';
import { apiClient } from './support/api';
import { freePort } from './support/ports';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { eventually } from './support/target';

const EXAMPLE_DIR = path.resolve(__dirname, '..', 'examples', 'email-service');
const SEED_JOBS = ['queue-cleanup', 're-engagement', 'weekly-digest'];

/** examples/email-service as a newcomer runs it (`npm start` in its folder), against a real scheduler. */
describe('the example email-service', () => {
  const secret = 'example-signing-secret-0000';
  const tokens = { admin: 'example-admin-token-000', email: 'example-email-token-000' };
  let scheduler: TestScheduler;
  let example: ChildProcess;
  let output = '';
  let exampleUrl: string;
  const walkthroughJobs: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    exampleUrl = `http://127.0.0.1:${port}`;
    scheduler = await startTestScheduler({
      EMAIL_SERVICE_URL: exampleUrl,
      SCHEDULER_SERVICE_TOKENS: `email-service=${tokens.email}`,
      SCHEDULER_ADMIN_TOKENS: `ops=${tokens.admin}`,
      SCHEDULER_SIGNING_SECRET: secret,
    });
    example = spawn('npm', ['start'], {
      cwd: EXAMPLE_DIR,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        SCHEDULER_API_URL: scheduler.url,
        SCHEDULER_TOKEN: tokens.email,
        SCHEDULER_SIGNING_SECRET: secret,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // npm → sh → node: signal the whole group
    });
    example.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    example.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  });
  afterAll(async () => {
    if (example.exitCode === null) process.kill(-example.pid!, 'SIGTERM');
    await deleteSchedules(scheduler.client, [...SEED_JOBS, ...walkthroughJobs]);
    await scheduler.stop();
  });

  test('declares the seed three jobs at start, and each call from the scheduler is verified and served', async () => {
    const admin = apiClient(scheduler.url, tokens.admin);
    const listed = await eventually(
      () => admin.call<{ jobs: JobView[] }>('GET', '/api/jobs?service=email-service'),
      (r) => r.status === 200 && r.body.jobs.length === 3,
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nexample output:\n${output}`);
    });
    expect(listed.body.jobs.map((j) => j.name).sort()).toEqual(SEED_JOBS);
    expect(listed.body.jobs.find((j) => j.name === 'weekly-digest')).toMatchObject({
      endpoint: '/api/jobs/weekly-digest',
      cron: '0 9 * * MON',
      timezone: 'America/New_York',
    });

    for (const name of SEED_JOBS) {
      const run = await admin.trigger(name);
      expect(run.status).toBe(202);
      const done = await admin.finished(run.body.execution.id);
      expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
      if (name === 'weekly-digest') continue; // long-running: answered 202, then reported its end (about 1 s later)
      expect(done).toMatchObject({ httpStatus: 200 });
      expect(JSON.parse(done.response!)).toEqual({ ok: true, job: name, handled: 1 });
    }
    // a call the scheduler did not sign never reaches a handler
    const forged = await fetch(`${exampleUrl}/api/jobs/queue-cleanup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'forged' },
      body: JSON.stringify({ job: 'queue-cleanup', executionId: 'forged' }),
    });
    expect(forged.status).toBe(401);
    expect(await (await fetch(`${exampleUrl}/health`)).json()).toEqual({
      status: 'ok',
      processed: { 'queue-cleanup': 1, 're-engagement': 1, 'weekly-digest': 1 },
    });
  });

  test("the README's walkthrough answers what it says, next to the example", async () => {
    const readme = readFileSync(path.resolve(__dirname, '..', 'README.md'), 'utf8');
    const walkthrough = readme.slice(readme.indexOf('## Register a job and watch it run'));
    const body = JSON.parse(
      /register -H 'content-type: application\/json' -d '(\{[^']*\})'/.exec(walkthrough)![1]!,
    ) as {
      name: string;
    };
    walkthroughJobs.push(body.name);
    expect(SEED_JOBS).not.toContain(body.name); // its own job: the example's stay as the example declared them
    const admin = apiClient(scheduler.url, tokens.admin);
    expect(await admin.register(body)).toMatchObject({ status: 201, body: { status: 'created' } });
    expect(await admin.register(body)).toMatchObject({ status: 200, body: { status: 'unchanged' } });
    const run = await admin.trigger(body.name);
    expect(run.status).toBe(202);
    const done = await admin.finished(run.body.execution.id);
    expect(done).toMatchObject({ status: 'succeeded', httpStatus: 200 });
    expect(JSON.parse(done.response!)).toMatchObject({ ok: true });
    const weekly = await admin.call<{ job: JobView }>('GET', '/api/jobs/weekly-digest');
    expect(weekly.body.job).toMatchObject({ cron: '0 9 * * MON', timezone: 'America/New_York' }); // untouched
  });

  test('stops on SIGTERM and releases its port', async () => {
    const exited = new Promise((r) => example.once('exit', r));
    process.kill(-example.pid!, 'SIGTERM'); // npm, its shell and the service: as a container runtime stops them
    await exited;
    await eventually(
      () =>
        fetch(`${exampleUrl}/health`).then(
          () => 'serving',
          () => 'closed',
        ),
      (state) => state === 'closed',
      10_000,
    );
  });
});
