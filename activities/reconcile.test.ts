import { CancelledFailure } from '@temporalio/activity';
import { ScheduleNotFoundError, type Client, type ScheduleDescription, type ScheduleSummary } from '@temporalio/client';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { startedExecution } from '../jobs/execution';
import { scheduleIdOf } from '../jobs/ids';
import { NO_TIMES } from '../store/job-store';
import { createMemoryStore } from '../store/memory';
import { DEFAULT_RETRY, JOB_DEFAULTS, type JobDefinition } from '../jobs/job';
import { ROLLING_SLICES, rollingSliceAt, sliceOf, type MirrorReport } from '../jobs/reconcile';
import { WorkflowType } from '../jobs/workflow-types';
import { jobRowOf } from '../temporal/mirror';
import { DISABLED_NOTE } from '../temporal/schedule-options';
import { reconcileActivities, type ReconcileDeps } from './reconcile';

type Watch = NonNullable<ReconcileDeps['watch']>;

describe('reconcileMirror', () => {
  test('a pass stops at the next item once cancelled, so that a worker shutting down is not held for minutes', async () => {
    const described: string[] = [];
    // 10,000 job schedules, each found gone when described
    const fake = {
      schedule: {
        async *list() {
          for (let i = 0; i < 10_000; i++) yield { scheduleId: `job-j${i}` };
        },
        getHandle: (id: string) => ({
          describe: async () => {
            described.push(id);
            throw new ScheduleNotFoundError('gone', id);
          },
        }),
      },
    };
    // the worker runs each activity inside withAbortSignal, bound to its cancellation
    const client = { ...fake, withAbortSignal: (_: AbortSignal, fn: () => unknown) => fn() } as unknown as Client;
    const env = new MockActivityEnvironment({}, { client, logger: new DefaultLogger('ERROR') });
    let heartbeats = 0;
    env.on('heartbeat', () => {
      if (++heartbeats === 10) env.cancel('WORKER_SHUTDOWN');
    });
    const { reconcileMirror } = reconcileActivities({ store: createMemoryStore() });
    await expect(env.run(reconcileMirror, { lookbackHours: 24 })).rejects.toBeInstanceOf(CancelledFailure);
    expect(described.length).toBeGreaterThanOrEqual(9);
    expect(described.length).toBeLessThan(20);
  });
});

/**
 * A fleet of hourly job schedules in a fake Temporal that lists and describes them alike, as the server does (the
 * listing: state, spec, 5 recent actions and 5 next times; a description: also the action and the counters).
 */
function fakeFleet(size: number) {
  const hour = 3_600_000;
  const start = Date.UTC(2026, 10, 30, 9);
  const schedules = new Map<string, ScheduleDescription>();
  const job = (name: string): JobDefinition => ({
    ...JOB_DEFAULTS,
    name,
    service: 'fleet-service',
    endpoint: `/${name}`,
    cron: '@every 1h',
    payload: {},
    retry: DEFAULT_RETRY,
  });
  const times = (from: number, n: number) => Array.from({ length: n }, (_, i) => new Date(start + (from + i) * hour));
  for (let i = 0; i < size; i++) {
    const name = `fleet-${i}`;
    schedules.set(scheduleIdOf(name), {
      scheduleId: scheduleIdOf(name),
      action: { type: 'startWorkflow', workflowType: WorkflowType.runJob, args: [{ job: job(name) }] },
      spec: { calendars: [], intervals: [{ every: hour, offset: 0 }] },
      state: { paused: false },
      info: {
        createdAt: new Date(start - hour),
        lastUpdatedAt: undefined,
        nextActionTimes: times(1, 10),
        recentActions: [],
        numActionsSkippedOverlap: 0,
        numActionsMissedCatchupWindow: 0,
      },
    } as unknown as ScheduleDescription);
  }
  const described: string[] = [];
  const summaryOf = (d: ScheduleDescription): ScheduleSummary => ({
    scheduleId: d.scheduleId,
    spec: d.spec,
    action: { type: 'startWorkflow', workflowType: WorkflowType.runJob },
    state: d.state,
    info: { recentActions: d.info.recentActions.slice(-5), nextActionTimes: d.info.nextActionTimes.slice(0, 5) },
  });
  const client = {
    schedule: {
      async *list() {
        for (const d of schedules.values()) yield summaryOf(d);
      },
      getHandle: (id: string) => ({
        describe: async () => {
          described.push(id);
          const d = schedules.get(id);
          if (!d) throw new ScheduleNotFoundError('gone', id);
          return d;
        },
      }),
    },
    workflow: { list: async function* () {} },
    withAbortSignal: (_: AbortSignal, fn: () => unknown) => fn(),
  } as unknown as Client;
  const schedule = (name: string) => schedules.get(scheduleIdOf(name))!;
  return {
    client,
    described,
    schedules,
    schedule,
    /** The hour `name`'s schedule moved on to its next time: started a run for it, or not (skipped by overlap). */
    cameDue(name: string, started: boolean) {
      const d = schedule(name);
      const due = d.info.nextActionTimes[0]!;
      const hours = (due.getTime() - start) / hour;
      const workflowId = `job-run-${name}-${due.toISOString().replace('.000', '')}`;
      schedules.set(d.scheduleId, {
        ...d,
        info: {
          ...d.info,
          nextActionTimes: times(hours + 1, 10),
          recentActions: started
            ? [
                ...d.info.recentActions,
                { scheduledAt: due, takenAt: due, action: { type: 'startWorkflow', workflow: { workflowId } } },
              ]
            : d.info.recentActions,
          numActionsSkippedOverlap: d.info.numActionsSkippedOverlap + (started ? 0 : 1),
        },
      } as ScheduleDescription);
    },
  };
}

describe('an incremental pass (the reconciler schedule passes its interval)', () => {
  const EVERY_MINUTES = 10;

  /** A fleet mirrored as Temporal has it: every row written from its schedule's description. */
  async function mirrored(size: number, watches: Partial<Pick<Watch, 'watchesToMend' | 'rulesChanged'>> = {}) {
    const fleet = fakeFleet(size);
    const store = createMemoryStore();
    for (const d of fleet.schedules.values()) await store.upsertJob(jobRowOf(d)!);
    const grew: string[] = [];
    const { reconcileMirror } = reconcileActivities({
      store,
      watch: {
        counters: async (name) => void grew.push(name),
        watchesToMend: async () => [],
        rulesChanged: async () => undefined,
        ...watches,
      },
    });
    const env = new MockActivityEnvironment({}, { client: fleet.client, logger: new DefaultLogger('ERROR') });
    const pass = async (input: { everyMinutes?: number } = { everyMinutes: EVERY_MINUTES }) => {
      fleet.described.length = 0;
      return (await env.run(reconcileMirror, { lookbackHours: 24, ...input })) as unknown as Required<MirrorReport>;
    };
    return { ...fleet, store, grew, pass };
  }

  /** The jobs of the fleet outside the slice the pass at `now` describes whole, so that only a change gets them described. */
  const outsideSlice = (size: number, now: number) =>
    Array.from({ length: size }, (_, i) => `fleet-${i}`).filter(
      (name) => sliceOf(scheduleIdOf(name)) !== rollingSliceAt(now, EVERY_MINUTES),
    );

  // the slice is chosen by the pass's clock: the test runs its pass at one fixed instant
  const now = Date.UTC(2026, 10, 30, 9, 5);
  beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(now));
  afterEach(() => jest.restoreAllMocks());

  test('an unchanged fleet costs one slice of describes, and every slice comes round within ROLLING_SLICES intervals', async () => {
    const fleet = await mirrored(240);
    const report = await fleet.pass();
    const slice = rollingSliceAt(now, EVERY_MINUTES);
    const inSlice = [...fleet.schedules.keys()].filter((id) => sliceOf(id) === slice);
    expect(fleet.described.sort()).toEqual(inSlice.sort());
    expect(report).toMatchObject({ schedulesListed: 240, schedulesDescribed: inSlice.length, jobsMirrored: [] });
    expect(inSlice.length).toBeGreaterThan(240 / ROLLING_SLICES / 2);
    expect(inSlice.length).toBeLessThan((240 / ROLLING_SLICES) * 2);

    const everyDescribed = new Set<string>();
    for (let k = 0; k < ROLLING_SLICES; k++) {
      jest.spyOn(Date, 'now').mockReturnValue(now + k * EVERY_MINUTES * 60_000);
      await fleet.pass();
      fleet.described.forEach((id) => everyDescribed.add(id));
    }
    expect(everyDescribed.size).toBe(240);
  });

  test('what the listing shows changed is described and mended; a run that came due and started is not', async () => {
    const fleet = await mirrored(60);
    const [paused, deleted, ran, skipped, unmirrored, resumedDisabled, replanned, ranSixTimes, pausedBefore, retimed] =
      outsideSlice(60, now);
    // its spec given an offset in Temporal itself, the plan's comment kept: only its next times tell
    const moved = fleet.schedule(retimed!);
    moved.info.nextActionTimes = moved.info.nextActionTimes.map((t) => new Date(t.getTime() + 1_800_000));
    // paused by an admin long ago, and mirrored so: its times move on with no start, and nothing is counted
    fleet.schedule(pausedBefore!).state = { paused: true, note: 'paused by alice' };
    await fleet.store.upsertJob(jobRowOf(fleet.schedule(pausedBefore!))!);
    for (let i = 0; i < 12; i++) fleet.cameDue(pausedBefore!, true);
    fleet.schedule(pausedBefore!).info.recentActions = [];
    fleet.schedule(paused!).state = { paused: true, note: 'from Temporal Web' };
    fleet.schedules.delete(scheduleIdOf(deleted!));
    fleet.cameDue(ran!, true);
    fleet.cameDue(skipped!, false);
    await fleet.store.deleteJob(unmirrored!);
    // a job its service disabled, mirrored so, then resumed in Temporal itself: the pass must pause it again
    const disabled = fleet.schedule(resumedDisabled!);
    const disabledJob = { ...(disabled.action.args![0] as { job: JobDefinition }).job, enabled: false };
    disabled.action = { ...disabled.action, args: [{ job: disabledJob }] } as never;
    disabled.state = { paused: true, note: DISABLED_NOTE };
    await fleet.store.upsertJob(jobRowOf(disabled)!);
    disabled.state = { paused: false, note: 'resumed from Temporal Web' };
    fleet.schedule(replanned!).spec = { calendars: [], intervals: [], cronExpressions: [] } as never;
    for (let i = 0; i < 6; i++) fleet.cameDue(ranSixTimes!, true); // the listing shows only the last 5 starts

    // describing a schedule it changes: the fake answers pause and plan updates as Temporal would
    const updates: string[] = [];
    const getHandle = fleet.client.schedule.getHandle.bind(fleet.client.schedule);
    fleet.client.schedule.getHandle = ((id: string) => ({
      ...getHandle(id),
      update: async (fn: (prev: ScheduleDescription) => ScheduleDescription) => {
        updates.push(id);
        const next = fn(fleet.schedules.get(id)!);
        fleet.schedules.set(id, { ...fleet.schedules.get(id)!, state: next.state, spec: next.spec } as never);
      },
    })) as never;

    const report = await fleet.pass();

    const changed = [paused, deleted, skipped, unmirrored, resumedDisabled, replanned, ranSixTimes, retimed].map((n) =>
      scheduleIdOf(n!),
    );
    const slice = rollingSliceAt(now, EVERY_MINUTES);
    const inSlice = [...fleet.schedules.keys()].filter((id) => sliceOf(id) === slice);
    // replanned and state-fixed schedules are described again after their update
    expect(new Set(fleet.described)).toEqual(new Set([...changed, ...inSlice]));
    expect(fleet.described).not.toContain(scheduleIdOf(ran!));
    expect(fleet.described).not.toContain(scheduleIdOf(pausedBefore!));
    expect(report.jobsMirrored).toEqual(expect.arrayContaining([paused, unmirrored]));
    expect(report.jobsRemoved).toEqual([deleted]);
    expect(report.jobsStateFixed).toEqual([resumedDisabled]);
    expect(report.jobsReplanned).toEqual([replanned]);
    expect(fleet.grew).toEqual([skipped]); // the watch hears of the skipped occurrence at this pass
    expect(await fleet.store.getJob(paused!)).toMatchObject({ paused: true, pauseNote: 'from Temporal Web' });
    expect(await fleet.store.getJob(deleted!)).toBeNull();
    expect((await fleet.store.getJob(skipped!))?.times.skipped).toBe(1);
    expect(report.failures).toEqual([]);

    // the next pass (another slice) finds nothing changed: only its slice is described
    jest.spyOn(Date, 'now').mockReturnValue(now + EVERY_MINUTES * 60_000);
    const next = await fleet.pass();
    const nextSlice = [...fleet.schedules.keys()].filter((id) => sliceOf(id) === (slice + 1) % ROLLING_SLICES);
    expect(fleet.described.sort()).toEqual([...nextSlice].sort());
    expect(next).toMatchObject({ jobsMirrored: [], jobsRemoved: [], jobsStateFixed: [], jobsReplanned: [] });
  });

  test('each alert watch to mend is mended on its own: one Temporal refuses is a failure, the others are mended', async () => {
    const told: string[] = [];
    const fleet = await mirrored(5, {
      watchesToMend: async (definitions) => definitions.slice(0, 3),
      rulesChanged: async ({ name }) => {
        told.push(name);
        if (name === 'fleet-1') throw new Error('namespace rate limit exceeded');
      },
    });
    const report = await fleet.pass();
    expect(told).toEqual(['fleet-0', 'fleet-1', 'fleet-2']);
    expect(report.watchesMended).toEqual(['fleet-0', 'fleet-2']);
    expect(report.failures).toEqual(['fleet-1: namespace rate limit exceeded']);
  });

  test('a pass over a fleet whose store answers at once lets the event loop turn as it goes (the API shares it)', async () => {
    const fleet = await mirrored(1000);
    let turns = 0;
    let passing = true;
    const turn = () => {
      if (!passing) return;
      turns++;
      setImmediate(turn);
    };
    setImmediate(turn);
    const started = performance.now();
    await fleet.pass({});
    passing = false;
    const ms = performance.now() - started;
    // at most 5 ms between two turns, give or take an item: a pass that never let go would count none
    expect(turns).toBeGreaterThan(ms / 5 / 4);
  });

  test('a pass without an interval (POST /api/reconcile) describes every schedule', async () => {
    const fleet = await mirrored(30);
    const report = await fleet.pass({});
    expect(report).toMatchObject({ schedulesListed: 30, schedulesDescribed: 30 });
    expect(new Set(fleet.described).size).toBe(30);
  });
});

describe('pruneHistory', () => {
  const minute = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString();

  test('removes the rows ended before the cutoff in batches of 500, until none is left, then resolved alerts', async () => {
    const store = createMemoryStore();
    const job = { name: 'nightly', service: 'email-service' };
    await store.upsertJob({
      definition: { ...JOB_DEFAULTS, ...job, endpoint: '/nightly', cron: '@daily', payload: {}, retry: DEFAULT_RETRY },
      paused: false,
      pauseNote: null,
      scheduleNote: null,
      times: NO_TIMES,
      createdAt: minute(0),
      updatedAt: minute(0),
      scheduleUpdatedAt: null,
    });
    for (let i = 0; i < 1_201; i++) {
      const start = startedExecution({
        id: `run-${i}`,
        jobName: job.name,
        service: job.service,
        trigger: 'schedule',
        triggeredBy: null,
        retryOf: null,
        scheduledAt: minute(i),
        startedAt: minute(i),
        runId: null,
      });
      await store.recordExecution({ ...start, status: 'succeeded', completedAt: minute(i), durationMs: 0 });
    }
    const alert = (id: string, resolvedAt: string | null) => ({
      id,
      jobName: job.name,
      service: job.service,
      rule: { type: 'run_failed' as const },
      state: resolvedAt ? ('resolved' as const) : ('open' as const),
      summary: 'a run failed',
      openedAt: minute(0),
      resolvedAt,
      runs: [],
      deliveries: [],
      updatedAt: resolvedAt ?? minute(0),
    });
    await store.recordAlert(alert('resolved-long-ago', minute(10)));
    await store.recordAlert(alert('resolved-lately', minute(1_150)));
    await store.recordAlert(alert('still-open', null));
    const batches: number[] = [];
    const { pruneHistory } = reconcileActivities({ store, historyPruned: (rows) => batches.push(rows) });
    const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
    let heartbeats = 0;
    env.on('heartbeat', () => heartbeats++);

    const report = await env.run(pruneHistory, { endedBefore: minute(1_100) });

    // rows 0-1099 ended before the cutoff; the rest, and so the job's newest, stay
    expect(report).toEqual({ endedBefore: minute(1_100), rowsRemoved: 1_100, alertsRemoved: 1, finished: true });
    expect(batches).toEqual([500, 500, 100, 0]);
    expect(heartbeats).toBe(6);
    const alerts = await store.listAlerts({ jobName: job.name, limit: 10 });
    expect(alerts.map((a) => a.id).sort()).toEqual(['resolved-lately', 'still-open']);
    expect((await store.getJob(job.name))?.stats.totalRuns).toBe(1_201);
    expect((await store.listExecutions({ jobName: job.name, limit: 200 })).length).toBe(101);
  });
});
