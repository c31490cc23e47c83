import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { scheduleIdOf } from '../../jobs/ids';
import { apiClient, uniqueName } from '../support/api';
import { jobReportOf, fetchLedger, type JobReport, type Ledger } from '../support/ledger';
import { deploymentOf, spawnWorker, type SchedulerProcess } from '../support/process';
import { startOwnStack, type OwnStack } from '../support/stack';
import { eventually, startTarget, type Target } from '../support/target';
import { setTimeout as sleep } from 'node:timers/promises';

const MINUTES = Number(process.env.FAULT_LEDGER_MINUTES ?? 4);
const RUN_MS = MINUTES * 60_000;
/** Longer than the `window` job's 10 s catch-up window, so the outage leaves occurrences to be counted missed. */
const TEMPORAL_DOWN_MS = 25_000;

/** A job of the mix: its registration, its endpoint's usual answer, and its interval (null: triggered only). */
interface Plan {
  key: string;
  cron: string;
  everyMs: number | null;
  answer: { status: number; delayMs?: number };
  extra?: Record<string, unknown>;
}

const PLANS: Plan[] = [
  { key: 'tick', cron: '@every 2s', everyMs: 2_000, answer: { status: 200 } },
  { key: 'window', cron: '@every 3s', everyMs: 3_000, answer: { status: 200 }, extra: { catchupWindowSeconds: 10 } },
  {
    key: 'flaky',
    cron: '@every 5s',
    everyMs: 5_000,
    answer: { status: 200 },
    extra: { retry: { maxAttempts: 3, initialIntervalSeconds: 1, backoffCoefficient: 1 } },
  },
  { key: 'rejected', cron: '@every 15s', everyMs: 15_000, answer: { status: 400 } },
  {
    key: 'slow',
    cron: '@every 20s',
    everyMs: 20_000,
    answer: { status: 200, delayMs: 4_000 },
    extra: { timeoutSeconds: 2, retry: { maxAttempts: 2, initialIntervalSeconds: 1 } },
  },
  { key: 'minute', cron: '* * * * *', everyMs: 60_000, answer: { status: 200 } },
  {
    key: 'manual',
    cron: '0 0 1 1 *',
    everyMs: null,
    answer: { status: 200, delayMs: 1_500 },
    extra: { enabled: false },
  },
];

/**
 * The final ledger check of the fault table: a mix of jobs (succeeding, retried, rejected, timing out, every minute,
 * triggered by an admin) runs for FAULT_LEDGER_MINUTES (4 in CI, 30 in `npm run test:faults`) while, one after the
 * other, a 5xx storm, the target down, the worker SIGKILLed mid-call, the store's PostgREST down, the mirror table
 * locked, the Temporal server SIGKILLed for longer than a catch-up window, the worker down and a SIGTERM mid-call
 * hit it. The API and the worker are processes of their own, as deployed; the mirror is Supabase (PostgREST on a
 * database of this test's own); Temporal is a dev server of this test's own on a file, so it can be killed.
 *
 * At the end: every scheduled occurrence from a job's first run to its last ran exactly once or is counted by Temporal
 * as skipped (overlap) or missed (outside the catch-up window); every accepted trigger ran; every execution has exactly
 * one mirror row; redeliveries carry their execution's own Idempotency-Key; the counters equal the rows.
 */
describe(`fault: the ledger after a ${MINUTES}-minute mixed run with faults`, () => {
  const dir = mkdtempSync(path.join(process.env.INTEGRATION_TMP_DIR ?? '/tmp', 'ledger-'));
  const deployment = deploymentOf('ledger');
  const names = new Map(PLANS.map((p) => [p.key, uniqueName(p.key)]));
  let stack: OwnStack;
  let target: Target;
  let api: SchedulerProcess;
  let worker: SchedulerProcess;
  const faults: { fault: string; atSeconds: number; seconds: number }[] = [];

  const env = () => ({ ...stack.env(), EMAIL_SERVICE_URL: target.url });
  const startWorker = () => spawnWorker(deployment, env());
  const pathOf = (plan: Plan) => `/${plan.key}`;
  const answerAsUsual = (plan: Plan) => target.answer(pathOf(plan), [{ ...plan.answer, body: '{"ok":true}' }]);

  beforeAll(async () => {
    stack = await startOwnStack(dir);
    target = await startTarget();
    PLANS.forEach(answerAsUsual);
    await deployment.init();
    api = deployment.start({ ...env(), SCHEDULER_ROLE: 'api' });
    worker = startWorker();
    await apiClient(deployment.url).ready();
  });
  afterAll(async () => {
    await api?.stop();
    await worker?.stop('SIGKILL');
    await stack?.stop();
    await target?.close();
  });

  test(
    'every occurrence ran once or is explained, every execution has one row, counters equal rows',
    async () => {
      const client = apiClient(deployment.url);
      for (const plan of PLANS) {
        const body = { name: names.get(plan.key), service: 'email-service', endpoint: pathOf(plan), cron: plan.cron };
        expect((await client.register({ ...body, ...plan.extra })).status).toBe(201);
      }
      const began = Date.now();

      const at = (share: number) => sleep(Math.max(0, began + share * RUN_MS - Date.now()));
      const fault = async (name: string, share: number, inject: () => Promise<void>) => {
        await at(share);
        const from = Date.now();
        await inject();
        faults.push({ fault: name, atSeconds: Math.round((from - began) / 1000), seconds: (Date.now() - from) / 1000 });
      };

      // an admin triggers the manual job every 10 s all along; a refusal (Temporal down) is an answer, not a loss
      const manual = names.get('manual')!;
      const accepted: string[] = [];
      const refused: number[] = [];
      let triggering = true;
      const triggers = (async () => {
        while (triggering) {
          const answer = await client.trigger(manual).catch(() => null);
          if (answer && answer.status < 300) accepted.push(answer.body.execution.id);
          else refused.push(answer?.status ?? 0);
          await sleep(10_000);
        }
      })();

      const flaky = PLANS.find((p) => p.key === 'flaky')!;
      await fault('5xx storm on /flaky', 0.04, async () => {
        target.answer('/flaky', [{ status: 503, body: '{"error":"storm"}' }]);
        await sleep(0.05 * RUN_MS);
        answerAsUsual(flaky);
      });
      await fault('target down', 0.11, async () => {
        await target.down();
        await sleep(0.033 * RUN_MS);
        await target.up();
      });
      /** Triggers the manual job and resolves once its call has reached the service (which answers 1.5 s later). */
      const callInFlight = async () => {
        const seen = target.calls('/manual').length;
        await client.trigger(manual).then((a) => a.status < 300 && accepted.push(a.body.execution.id));
        await target.waitForCalls('/manual', seen + 1, 120_000);
      };
      await fault('worker SIGKILLed mid-call, 3 times', 0.17, async () => {
        for (let i = 0; i < 3; i++) {
          await callInFlight();
          await worker.stop('SIGKILL');
          worker = startWorker();
        }
      });
      await fault('PostgREST unreachable', 0.24, async () => {
        await stack.gateway.close();
        await sleep(0.067 * RUN_MS);
        await stack.restartGateway();
      });
      await fault('scheduled_jobs locked', 0.34, async () => {
        const pg = new PgClient({ connectionString: stack.database.url });
        await pg.connect();
        try {
          await pg.query('BEGIN');
          await pg.query('LOCK TABLE scheduled_jobs IN ACCESS EXCLUSIVE MODE');
          await sleep(0.0167 * RUN_MS);
        } finally {
          await pg.query('COMMIT');
          await pg.end();
        }
      });
      await fault('Temporal SIGKILLed and restarted on its file', 0.4, async () => {
        await stack.temporal.kill();
        await sleep(TEMPORAL_DOWN_MS);
        await stack.restartTemporal();
      });
      await fault('worker down', 0.52, async () => {
        await worker.stop('SIGTERM');
        await sleep(0.167 * RUN_MS);
        worker = startWorker();
      });
      await fault('worker SIGTERMed mid-call and restarted', 0.8, async () => {
        await callInFlight();
        await worker.stop('SIGTERM');
        worker = startWorker();
      });
      await at(1);

      triggering = false;
      await triggers;
      for (const name of names.values()) {
        await eventually(
          () => client.call('POST', `/api/jobs/${name}/pause`, { note: 'ledger' }),
          (r) => r.status === 200,
          60_000,
        );
      }
      const ledgers = new Map<string, Ledger>();
      const connection = await Connection.connect({ address: stack.temporal.address });
      const temporal = new Client({ connection });
      try {
        for (const name of names.values()) {
          ledgers.set(
            name,
            await eventually(
              () => fetchLedger(temporal, deployment.url, target, name),
              (l) => l.lostRows.length === 0 && l.rows.every((r) => r.status !== 'running') && l.countersEqualRows,
              300_000,
            ),
          );
        }
        const reports: JobReport[] = [];
        for (const plan of PLANS) {
          const name = names.get(plan.key)!;
          const { info } = await temporal.schedule.getHandle(scheduleIdOf(name)).describe();
          reports.push(jobReportOf(name, ledgers.get(name)!, plan.everyMs, info, target.calls(pathOf(plan))));
        }
        const report = { minutes: MINUTES, faults, triggers: { accepted: accepted.length, refused }, jobs: reports };
        console.log(JSON.stringify(report, null, 2));
        if (process.env.FAULT_LEDGER_REPORT)
          writeFileSync(process.env.FAULT_LEDGER_REPORT, JSON.stringify(report, null, 2));

        for (const r of reports) {
          // every execution has exactly one row, and the counters equal the rows
          expect({ job: r.job, lostRows: r.lostRows, extraRows: r.extraRows, counters: r.countersEqualRows }).toEqual({
            job: r.job,
            lostRows: 0,
            extraRows: 0,
            counters: true,
          });
          expect({ job: r.job, rows: r.rows }).toEqual({ job: r.job, rows: r.runs });
          // every occurrence ran exactly once or is explained
          if (r.occurrences !== null) {
            expect({ job: r.job, ranTwice: r.ranTwice, accounted: r.ranOnce + r.skipped + r.missed }).toEqual({
              job: r.job,
              ranTwice: 0,
              accounted: r.occurrences,
            });
          }
        }
        // every accepted trigger ran and has its row
        const manualRows = ledgers.get(manual)!.rows.map((r) => r.id);
        expect(manualRows.sort()).toEqual([...accepted].sort());
        // every delivery carried its own execution's key: a redelivery is a repeat of one execution, never a new one
        expect(target.calls().filter((c) => c.headers['idempotency-key'] !== c.json?.executionId)).toEqual([]);
        // the outage outlived the `window` job's catch-up window: what it could not run in time is counted missed
        expect(reports.find((r) => r.job === names.get('window'))!.missed).toBeGreaterThan(0);
      } finally {
        await connection.close();
      }
    },
    RUN_MS + 15 * 60_000,
  ); // the run, then up to 5 minutes for the mirror to settle per check, and the reads
});
