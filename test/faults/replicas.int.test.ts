import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { scheduleIdOf } from '../../jobs/ids';
import type { ReconcileReport } from '../../jobs/reconcile';
import { apiClient, uniqueName } from '../support/api';
import { jobReportOf, fetchLedger, type JobReport, type Ledger } from '../support/ledger';
import { deploymentOf, type SchedulerProcess } from '../support/process';
import { startOwnStack, type OwnStack } from '../support/stack';
import { eventually, startTarget, type Target } from '../support/target';
import { ActivityType, WorkflowType } from '../../jobs/workflow-types';
import { setTimeout as sleep } from 'node:timers/promises';

const SECONDS = Number(process.env.FAULT_REPLICAS_SECONDS ?? 75);
const RUN_MS = SECONDS * 1000;
const REPLICAS = 3;
const JOBS = 3;
/** Longer than it takes to find the replica holding the call and kill it: the call is certainly in flight. */
const HOLD_MS = 20_000;

/**
 * Fault table: the seed ran one replica with `strategy: Recreate` "to avoid duplicate cron executions"; the manifest
 * runs two. Here three all-in-one processes (SCHEDULER_ROLE=all: API, worker and the reconciler's schedule, as the
 * Deployment runs them), each on its own port, share one Temporal and one Supabase mirror (PostgREST on a database of
 * this test's own; Temporal a dev server of its own, so that the three reconcilers see only these jobs) while jobs
 * fire every second for FAULT_REPLICAS_SECONDS (75 in CI, 300 in `npm run test:faults`). A third of the way in, the
 * replica holding a call (the target keeps it open) is SIGKILLed and started again, as a node lost and its pod
 * restarted; half way, another is rolled (SIGTERM, its exit, a new process on the same port).
 *
 * At the end: every occurrence from a job's first run to its last ran exactly once (overlap `allow_all`: none may be
 * skipped); every run was delivered, more than once only under its own Idempotency-Key by a later attempt of the
 * same run; every execution has exactly one row; the counters equal the rows.
 */
describe(`fault: ${REPLICAS} replicas, jobs every second for ${SECONDS} s, one SIGKILLed mid-call, one rolled`, () => {
  const dir = mkdtempSync(path.join(process.env.INTEGRATION_TMP_DIR ?? '/tmp', 'replicas-'));
  const deployment = deploymentOf('replicas', REPLICAS);
  const names = Array.from({ length: JOBS }, (_, i) => uniqueName(`second-${i}`));
  const pathOf = (i: number) => `/second-${i}`;
  let stack: OwnStack;
  let target: Target;
  let connection: Connection;
  const replicas: SchedulerProcess[] = [];

  /** Starts replica `i` (again) and waits until it is ready. */
  const start = async (i: number) => {
    replicas[i] = deployment.start(
      {
        ...stack.env(),
        EMAIL_SERVICE_URL: target.url,
        SCHEDULER_ROLE: 'all',
        SCHEDULER_RECONCILE_MINUTES: '1', // on in every replica, as deployed; every minute to run during the test
      },
      i,
    );
    await apiClient(deployment.urlOf(i)).ready();
  };
  const answerAsUsual = (i: number) => target.answer(pathOf(i), [{ status: 200, body: '{"ok":true}' }]);

  beforeAll(async () => {
    [stack, target] = await Promise.all([startOwnStack(dir), startTarget()]);
    for (let i = 0; i < JOBS; i++) answerAsUsual(i);
    await deployment.init();
    for (let i = 0; i < REPLICAS; i++) await start(i);
    connection = await Connection.connect({ address: stack.temporal.address });
  });
  afterAll(async () => {
    for (const replica of replicas) await replica?.stop('SIGKILL');
    await connection?.close();
    await stack?.stop();
    await target?.close();
  });

  test(
    'every occurrence delivered once (a repeat only under its own key), one row per execution, counters equal rows',
    async () => {
      const temporal = new Client({ connection });
      const timeline: { at: string; event: string }[] = [];
      const note = (event: string) => timeline.push({ at: new Date().toISOString(), event });
      // Each replica's API registers one job: any replica serves the API. Overlap `allow_all`: no occurrence is ever
      // skipped for an earlier run still going (the held one, a slow one on a loaded machine), so every nominal time
      // must be delivered, and a second run of one would show. The held run's next attempt comes right after
      // Temporal notices its worker is gone (the heartbeat timeout), not after the default 10 s backoff.
      for (let i = 0; i < JOBS; i++) {
        const job = { name: names[i], service: 'email-service', endpoint: pathOf(i), cron: '@every 1s' };
        const policy = { overlap: 'allow_all', retry: { initialIntervalSeconds: 1 } };
        expect((await apiClient(deployment.urlOf(i % REPLICAS)).register({ ...job, ...policy })).status).toBe(201);
      }
      note('registered');
      const began = Date.now();

      const at = (share: number) => sleep(Math.max(0, began + share * RUN_MS - Date.now()));

      // SIGKILL mid-call: the target holds the next call of job 0 open; the replica whose worker runs it is killed
      await at(1 / 3);
      const seen = target.calls(pathOf(0)).length;
      // in the same tick, so no call arrives between the count and the script; only that one call is held
      target.answer(pathOf(0), [
        { status: 200, body: '{"ok":true}', delayMs: HOLD_MS },
        { status: 200, body: '{"ok":true}' },
      ]);
      const held = (await target.waitForCalls(pathOf(0), seen + 1, 30_000))[seen]!;
      const heldId = String(held.headers['idempotency-key']);
      const holder = await eventually(
        async () => {
          const { raw } = await temporal.workflow.getHandle(heldId).describe();
          const call = raw.pendingActivities?.find((a) => a.activityType?.name === ActivityType.callService);
          // the SDK's worker identity: <pid>@<host>
          return replicas.findIndex((r) => call?.lastWorkerIdentity === `${r.child.pid}@${hostname()}`);
        },
        (i) => i >= 0,
        10_000,
      );
      expect(Date.now() - held.at).toBeLessThan(HOLD_MS); // the call is still open when its worker dies
      await replicas[holder]!.stop('SIGKILL');
      note(`replica ${holder} SIGKILLed with ${heldId} in flight`);
      await start(holder);
      note(`replica ${holder} ready again`);

      // a rolling update of another replica: SIGTERM, its exit, a new process on the same port
      await at(1 / 2);
      const rolled = (holder + 1) % REPLICAS;
      note(`replica ${rolled} SIGTERMed`);
      const exitCode = await replicas[rolled]!.stop('SIGTERM');
      note(`replica ${rolled} exited ${exitCode}`);
      await start(rolled);
      note(`replica ${rolled} ready again`);
      expect(exitCode).toBe(0);

      await at(1);
      // stop the schedules (through yet another replica's API), then let the runs in flight and their rows settle
      for (const [i, name] of names.entries()) {
        const api = apiClient(deployment.urlOf((i + 1) % REPLICAS));
        expect((await api.call('POST', `/api/jobs/${name}/pause`, { note: 'replicas' })).status).toBe(200);
      }
      note('paused');
      const ledgers: Ledger[] = [];
      for (const [i, name] of names.entries()) {
        ledgers.push(
          await eventually(
            () => fetchLedger(temporal, deployment.urlOf((i + 2) % REPLICAS), target, name),
            (l) => l.lostRows.length === 0 && l.rows.every((r) => r.status !== 'running') && l.countersEqualRows,
            180_000,
          ),
        );
      }
      note('settled');
      const reports: JobReport[] = [];
      for (const [i, name] of names.entries()) {
        const { info } = await temporal.schedule.getHandle(scheduleIdOf(name)).describe();
        reports.push(jobReportOf(name, ledgers[i]!, 1000, info, target.calls(pathOf(i))));
      }
      // What the reconcilers (on every replica, every minute) wrote: rows missing or still `running` when they looked,
      // a run whose own write was still on its way included. Reported, not asserted.
      const repaired: string[] = [];
      for await (const run of temporal.workflow.list({
        query: `WorkflowType = "${WorkflowType.reconcile}" AND ExecutionStatus = "Completed"`,
      })) {
        const report = (await temporal.workflow.getHandle(run.workflowId, run.runId).result()) as ReconcileReport;
        repaired.push(...report.executionsRepaired);
      }
      const repeats = repeatedDeliveries(target, ledgers);
      const report = {
        seconds: SECONDS,
        replicas: REPLICAS,
        timeline,
        jobs: reports,
        repeats,
        // runs that needed more than one attempt: the held one, and any whose attempt a dying worker had taken
        retried: ledgers
          .flatMap((l) => l.rows)
          .filter((r) => (r.attempts ?? 1) > 1)
          .map((r) => ({ execution: r.id, startedAt: r.startedAt, durationMs: r.durationMs, attempts: r.attempts })),
        reconcilerRepaired: repaired,
      };
      console.log(JSON.stringify(report, null, 2));
      if (process.env.FAULT_REPLICAS_REPORT)
        writeFileSync(process.env.FAULT_REPLICAS_REPORT, JSON.stringify(report, null, 2));

      for (const [i, r] of reports.entries()) {
        // one row per execution, counters equal rows, every run succeeded
        expect({
          job: r.job,
          lost: r.lostRows,
          extra: r.extraRows,
          counters: r.countersEqualRows,
          rows: r.rows,
        }).toEqual({ job: r.job, lost: 0, extra: 0, counters: true, rows: r.runs });
        expect(r.statuses).toEqual({ succeeded: r.rows });
        // every occurrence from the first to the last ran, and exactly once: nothing skipped, missed or run twice
        expect({ job: r.job, ranOnce: r.ranOnce, ranTwice: r.ranTwice, skipped: r.skipped, missed: r.missed }).toEqual({
          job: r.job,
          ranOnce: r.occurrences,
          ranTwice: 0,
          skipped: 0,
          missed: 0,
        });
        expect(r.runs).toBe(r.occurrences);
        // every run was delivered, under its own key
        const keys = new Set(target.calls(pathOf(i)).map((c) => String(c.headers['idempotency-key'])));
        expect([...keys].sort()).toEqual([...ledgers[i]!.runs].sort());
      }
      // a delivery always carries its execution's own key, so a repeat is never a second execution
      expect(target.calls().filter((c) => c.headers['idempotency-key'] !== c.json?.executionId)).toEqual([]);
      // a repeat is a later attempt of the same run (its worker died after the call left), never a second run
      for (const repeat of repeats) expect(repeat.attempts).toBeGreaterThan(1);
      // the held call is one of them: its worker died with the call open, the run's next attempt delivered it again
      expect(repeats.find((r) => r.execution === heldId)).toMatchObject({ deliveries: 2, attempts: 2 });
    },
    RUN_MS + 8 * 60_000,
  ); // the run, then up to 3 minutes for each job's rows to settle, and the reads
});

/** Executions delivered more than once, with how many times and the attempts their row records. */
function repeatedDeliveries(target: Target, ledgers: Ledger[]) {
  const deliveries = new Map<string, number>();
  for (const call of target.calls()) {
    const key = String(call.headers['idempotency-key']);
    deliveries.set(key, (deliveries.get(key) ?? 0) + 1);
  }
  const rows = new Map(ledgers.flatMap((l) => l.rows).map((r) => [r.id, r]));
  return [...deliveries]
    .filter(([, n]) => n > 1)
    .map(([execution, n]) => ({ execution, deliveries: n, attempts: rows.get(execution)?.attempts ?? null }));
}
