import type { ExecutionRecord, ExecutionStatus } from '../jobs/execution';
import type { ReconcileReport } from '../jobs/reconcile';
import type { JobView } from '../api/schemas/jobs';
import type { JobStore } from '../store/job-store';
import { openStore } from '../store/open-store';
import { apiClient, uniqueName } from './support/api';
import { fetchLedger } from './support/ledger';
import { deleteSchedules, startTestScheduler, type TestScheduler } from './support/scheduler';
import { startOwnMirror, type OwnMirror } from './support/stack';
import { startTarget, type Target } from './support/target';

const DAY_MS = 86_400_000;
const OLD_ROWS = 620; // more than one batch of 500
const STATUSES: ExecutionStatus[] = ['succeeded', 'failed', 'timed_out', 'cancelled'];

/**
 * The stores, each starting what it needs. Supabase is a database of this test's own: its reconcile passes walk
 * every run of the shared test namespace and write the rows they find missing, other tests' runs included (the
 * seed checklist counts its jobs' runs exactly, on the shared database).
 */
const stores: [string, () => Promise<OwnMirror | null>][] = [
  ['SQLite', async () => null],
  ['Supabase over PostgREST', () => startOwnMirror()],
];

/**
 * History retention through the running service: a reconcile pass removes the rows that ended before the retention,
 * the job's counters stay lifetime totals (rows + what retention removed), and a late write of a removed row does not
 * bring it back.
 */
describe.each(stores)('history retention on %s', (_, startStore) => {
  let own: OwnMirror | null;
  let target: Target;
  let scheduler: TestScheduler;
  let api: ReturnType<typeof apiClient>;
  /** A second handle on the scheduler's own mirror, to write rows of runs that ended days ago. */
  let mirror: JobStore;
  const created: string[] = [];

  beforeAll(async () => {
    own = await startStore();
    const storeEnv = own?.env() ?? {};
    target = await startTarget();
    scheduler = await startTestScheduler({
      RET_SERVICE_URL: target.url,
      SCHEDULER_HISTORY_RETENTION_DAYS: '2',
      SCHEDULER_RECONCILE_LOOKBACK_HOURS: '24',
      ...storeEnv,
    });
    api = apiClient(scheduler.url);
    mirror = openStore({
      supabaseUrl: storeEnv.SUPABASE_URL,
      supabaseServiceKey: storeEnv.SUPABASE_SERVICE_KEY,
      dataDir: scheduler.dataDir,
    });
  });
  afterAll(async () => {
    await deleteSchedules(scheduler.client, created);
    await mirror.close();
    await scheduler.stop();
    await target.close();
    await own?.stop();
  });

  const stats = async (name: string) => (await api.call<{ job: JobView }>('GET', `/api/jobs/${name}`)).body.job.stats;
  const reconcile = async () => {
    const res = await api.call<{ report: ReconcileReport }>('POST', '/api/reconcile');
    expect(res.status).toBe(200);
    return res.body.report;
  };

  test('a pass removes rows that ended before the retention; the counters stay lifetime totals', async () => {
    const name = uniqueName('ret');
    created.push(name);
    const endpoint = `/ret/${name}`;
    expect((await api.register({ name, service: 'ret-service', endpoint, cron: '0 0 1 1 *' })).status).toBe(201);
    target.answer(endpoint, [{ status: 200 }]);
    const runs = [];
    for (let i = 0; i < 2; i++) runs.push(await api.finished((await api.trigger(name)).body.execution.id));

    // runs that ended three to five days ago, as the mirror would hold them after a quarter of use
    const now = Date.now();
    const old: ExecutionRecord[] = Array.from({ length: OLD_ROWS }, (_, i) => {
      const startedAt = new Date(now - 5 * DAY_MS + i * 60_000).toISOString();
      const id = `job-run-${name}-${startedAt}`;
      return {
        id,
        jobName: name,
        service: 'ret-service',
        status: STATUSES[i % STATUSES.length]!,
        trigger: 'schedule',
        triggeredBy: null,
        retryOf: null,
        scheduledAt: startedAt,
        startedAt,
        completedAt: new Date(Date.parse(startedAt) + 1000).toISOString(),
        durationMs: 1000,
        attempts: 1,
        httpStatus: null,
        error: null,
        response: null,
        workflowId: id,
        runId: null,
      };
    });
    for (const e of old) await mirror.recordExecution(e);
    const lifetime = { totalRuns: OLD_ROWS + 2, successfulRuns: OLD_ROWS / 4 + 2, failedRuns: OLD_ROWS / 2 };
    expect(await stats(name)).toMatchObject(lifetime);

    const report = await reconcile();

    expect(report.retention).toMatchObject({ finished: true });
    expect(report.retention!.rowsRemoved).toBeGreaterThanOrEqual(OLD_ROWS);
    const cutoff = Date.parse(report.retention!.endedBefore);
    expect(cutoff).toBeGreaterThan(now - 2 * DAY_MS - 60_000);
    expect(cutoff).toBeLessThanOrEqual(Date.now() - 2 * DAY_MS);
    expect(await stats(name)).toMatchObject({
      ...lifetime,
      pruned: { totalRuns: OLD_ROWS, successfulRuns: OLD_ROWS / 4, failedRuns: OLD_ROWS / 2 },
    });
    const ledger = await fetchLedger(scheduler.client, scheduler.url, target, name);
    expect(ledger.rows.map((r) => r.id).sort()).toEqual(runs.map((r) => r.id).sort());
    expect(ledger).toMatchObject({ lostRows: [], extraRows: [], countersEqualRows: true });
    const metrics = await (await fetch(`${scheduler.url}/metrics`)).text();
    expect(metrics).toMatch(/^scheduler_history_pruned_rows_total [1-9]\d{2,}$/m);

    // an end write of a removed row, repeated late, does not bring it back nor count it again
    await mirror.recordExecution(old[1]!);
    expect((await api.execution(old[1]!.id)).status).toBe(404);
    // the next pass recounts every job from its rows and what retention removed: the totals hold
    const again = await reconcile();
    expect(again.failures).toEqual([]);
    expect(await stats(name)).toMatchObject(lifetime);
    expect((await fetchLedger(scheduler.client, scheduler.url, target, name)).countersEqualRows).toBe(true);
  });
});
