import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecutionView } from '../api/schemas/executions';
import type { JobView } from '../api/schemas/jobs';
import { scheduleIdOf } from '../jobs/ids';
import type { Ledger } from '../jobs/occurrences';
import { scheduleMatchingTimes } from '../temporal/schedules';
import { apiClient, uniqueName } from './support/api';
import { startTestScheduler, type TestScheduler } from './support/scheduler';
import { startOwnStack, type OwnStack } from './support/stack';
import { eventually, startTarget, type Target } from './support/target';

type LedgerReply = Ledger & { from: string; to: string };

/**
 * The occurrence ledger on real parts (Temporal, PostgREST, a target): one job run through overlap skips, an
 * admin's pause, an outage of Temporal longer than its catch-up window, a manual run and a backfill. Every nominal
 * time gets its fate, none is unexplained, and the counts agree with Temporal's own counters.
 */
describe('the occurrence ledger', () => {
  const dir = mkdtempSync(path.join(process.env.INTEGRATION_TMP_DIR ?? '/tmp', 'occurrence-ledger-'));
  let stack: OwnStack;
  let target: Target;
  let scheduler: TestScheduler;
  const api = () => apiClient(scheduler.url);

  beforeAll(async () => {
    stack = await startOwnStack(dir);
    target = await startTarget();
    scheduler = await startTestScheduler({ ...stack.env(), EMAIL_SERVICE_URL: target.url });
  });
  afterAll(async () => {
    await scheduler?.stop();
    await stack?.stop();
    await target?.close();
  });

  const name = uniqueName('ledger');
  const callsAfter = (at: number) => target.calls('/ledger').filter((c) => c.at > at).length;
  const waitForCalls = (after: number, n: number) =>
    eventually(
      async () => callsAfter(after),
      (count) => count >= n,
      60_000,
    );
  const ledgerOf = (query: string) => api().call<LedgerReply>('GET', `/api/jobs/${name}/occurrences?${query}`);

  test('skips, a pause, an outage, a manual run and a backfill: every time has its fate, as Temporal counts them', async () => {
    const registration = {
      name,
      service: 'email-service',
      endpoint: '/ledger',
      cron: '@every 2s',
      catchupWindowSeconds: 10,
    };
    expect((await api().register(registration)).status).toBe(201);
    const start = Date.now();
    await waitForCalls(start, 2);

    // overlap: one call that takes 5 s holds the job over the next two times or so
    target.answer('/ledger', [{ status: 200, delayMs: 5_000 }, { status: 200 }]);
    await waitForCalls(Date.now(), 3);

    // an admin's pause, for about 6 s
    expect((await api().call('POST', `/api/jobs/${name}/pause`, { note: 'ledger test' })).status).toBe(200);
    await sleep(6_000);
    expect((await api().call('POST', `/api/jobs/${name}/resume`, {})).status).toBe(200);
    await waitForCalls(Date.now(), 2);

    // a manual run
    const manual = (await api().trigger(name)).body.execution;
    await api().finished(manual.id);

    // Temporal down for 20 s: past the 10 s catch-up window. It goes down just after a run ended, between two times,
    // so that no run stays open through the outage (docs/ledger.md, "Limits").
    const [call] = (await target.waitForCalls('/ledger', target.calls('/ledger').length + 1)).slice(-1);
    await sleep(Math.max(0, call!.at + 600 - Date.now()));
    await stack.temporal.stop();
    const down = Date.now();
    await sleep(20_000);
    await stack.restartTemporal();
    await waitForCalls(Date.now(), 3);

    // a backfill of the outage's first seconds: the missed times run now, beside the occurrences
    const backfill = await api().call<{ executions: ExecutionView[] }>('POST', `/api/jobs/${name}/backfill`, {
      from: new Date(down + 1_000).toISOString(),
      to: new Date(down + 5_000).toISOString(),
    });
    expect(backfill.status).toBe(202);
    for (const e of backfill.body.executions) await api().finished(e.id);

    // freeze: pause, let the last rows land, read the whole life of the job
    expect((await api().call('POST', `/api/jobs/${name}/pause`, { note: 'end' })).status).toBe(200);
    const frozenAt = Date.now();
    await eventually(
      async () => (await api().call<{ job: JobView }>('GET', `/api/jobs/${name}`)).body.job,
      (job) => job.lastExecution?.status !== 'running',
      60_000,
    );
    await sleep(2_000);
    const window = `from=${new Date(start - 10_000).toISOString()}&to=${new Date(frozenAt).toISOString()}`;
    const reply = await ledgerOf(window);
    expect(reply.status).toBe(200);
    const ledger = reply.body;
    const { counts } = ledger;

    // the nominal times are Temporal's own plan of the schedule
    const planned = await scheduleMatchingTimes(
      scheduler.client,
      scheduleIdOf(name),
      new Date(ledger.from),
      new Date(Date.parse(ledger.to) - 1),
    );
    expect(ledger.occurrences.map((o) => o.scheduledAt)).toEqual(planned.map((t) => t.toISOString()));

    // each kind happened, none unexplained, and skips and misses are what Temporal counted
    const { info } = await scheduler.client.schedule.getHandle(scheduleIdOf(name)).describe();
    const temporalCounts = { skipped: info.numActionsSkippedOverlap, missed: info.numActionsMissedCatchupWindow };
    if (counts.skipped !== temporalCounts.skipped || counts.missed !== temporalCounts.missed || counts.unexplained) {
      // every time's fate and reason, so that a disagreement says which time the ledger read otherwise
      const fates = ledger.occurrences.map((o) => `${o.scheduledAt} ${o.fate}: ${o.reason}`);
      const runs = (
        await api().call<{ executions: ExecutionView[] }>('GET', `/api/executions?job=${name}&limit=200`)
      ).body.executions.map((e) => `${e.trigger} ${e.scheduledAt} ${e.startedAt}–${e.completedAt} ${e.status}`);
      throw new Error(
        `ledger ${JSON.stringify(counts)}, Temporal ${JSON.stringify(temporalCounts)}\n${fates.join('\n')}\n${runs.join('\n')}`,
      );
    }
    expect(counts.unexplained).toBe(0);
    expect(counts).toMatchObject(temporalCounts);
    expect(counts.skipped).toBeGreaterThanOrEqual(2);
    expect(counts.missed).toBeGreaterThanOrEqual(3);
    expect(counts.paused).toBeGreaterThanOrEqual(2);
    // every scheduled call the target got is a `ran` occurrence, and the other way round
    const ran = ledger.occurrences.filter((o) => o.fate === 'ran').map((o) => o.executionId);
    const scheduledCalls = target
      .calls('/ledger')
      .filter((c) => c.headers['x-scheduler-trigger'] === 'schedule')
      .map((c) => c.headers['idempotency-key']);
    expect(new Set(ran)).toEqual(new Set(scheduledCalls));
    // the pause is told with who and the note
    const paused = ledger.occurrences.find((o) => o.fate === 'paused')!;
    expect(paused.pause?.note).toContain('ledger test');
    expect(paused.pause?.by).toBeTruthy();
    // the manual run and the backfill are beside the occurrences, and the backfilled times say so
    expect(ledger.manual.map((r) => r.id)).toEqual(
      expect.arrayContaining([manual.id, ...backfill.body.executions.map((e) => e.id)]),
    );
    const backfilled = ledger.occurrences.filter((o) => o.backfilledBy);
    expect(backfilled.map((o) => o.backfilledBy).sort()).toEqual(backfill.body.executions.map((e) => e.id).sort());
    expect(backfilled.every((o) => o.fate === 'missed')).toBe(true);
  });

  test('a window of more than 20,000 times is a 400 naming from; to before from a 400 naming to', async () => {
    const wide = await ledgerOf(`from=${new Date(Date.now() - 86_400_000).toISOString()}`);
    expect(wide.status).toBe(400);
    expect(JSON.stringify(wide.body)).toMatch(/from: the window holds 43200 occurrences/);
    const backwards = await ledgerOf(
      `from=${new Date().toISOString()}&to=${new Date(Date.now() - 1000).toISOString()}`,
    );
    expect(backwards.status).toBe(400);
    expect(JSON.stringify(backwards.body)).toMatch(/to: must be after from/);
  });
});
