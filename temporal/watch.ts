import { isDeepStrictEqual } from 'node:util';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  WATCH_RULES_MEMO,
  WATCH_WORKFLOW_TASK_TIMEOUT,
  watchedRunOf,
  type CountersReading,
  type WatchJobInput,
  type WatchRules,
  type WatchedRun,
} from '../jobs/alert-watch';
import type { ExecutionRecord } from '../jobs/execution';
import type { JobDefinition } from '../jobs/job';
import type { JobStore } from '../store/job-store';
import { readJobHealth } from '../store/job-health';
import { alertsTaskQueueOf, watchWorkflowIdOf } from '../jobs/ids';
import { LIST_PAGE_SIZE } from './schedules';
import { WatchSignal, WorkflowType } from '../jobs/workflow-types';

/** Job alert watches (workflows/watch-job.ts) from the outside: the API, the mirror's writes, the reconciler. */

/**
 * Sends a job's watch a signal ({@link WatchSignal}), starting the watch with `start` first when it is not running:
 * one round trip (signalWithStart), so a signal is never lost to a watch not yet started. A watch starts with its
 * rules in its memo ({@link WATCH_RULES_MEMO}). `taskQueue` is the runs' (the watch runs on its alerts queue beside it).
 */
async function signalWatch(
  client: Client,
  taskQueue: string,
  start: WatchJobInput,
  signal: keyof typeof WatchSignal,
  arg: unknown,
): Promise<void> {
  await client.workflow.signalWithStart(WorkflowType.watchJob, {
    workflowId: watchWorkflowIdOf(start.job.name),
    taskQueue: alertsTaskQueueOf(taskQueue),
    args: [start],
    memo: { [WATCH_RULES_MEMO]: rulesIn(start) },
    workflowTaskTimeout: WATCH_WORKFLOW_TASK_TIMEOUT,
    signal: WatchSignal[signal],
    signalArgs: [arg],
  });
}

/** Ends a deleted job's watch; a watch already gone is fine. */
async function stopWatch(client: Client, jobName: string): Promise<void> {
  await client.workflow
    .getHandle(watchWorkflowIdOf(jobName))
    .terminate('job deleted')
    .catch((err: unknown) => {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    });
}

/** A watch's rules as its memo holds them: plain JSON, as they come back from a listing. */
const rulesIn = ({ rules, destinations }: WatchRules): WatchRules =>
  JSON.parse(JSON.stringify({ rules, destinations }));

/** What a watch needs that only the composition root knows: the job's rules under the configured defaults. */
export interface WatchNotifierDeps {
  client: Client;
  store: JobStore;
  taskQueue: string;
  /** The job's rules and destinations as the watch takes them (config's defaults applied). */
  rulesOf(definition: JobDefinition): WatchRules;
  /** Told when a hand-over begun by `rulesChangedLater` failed (the reconciler's next pass mends it). */
  onLaterFailure?(jobName: string, err: unknown): void;
}

/**
 * Tells job watches what happens outside them, starting a watch that is not running: a run that ended unsuccessful
 * (from the mirror's write of its row), the schedule's counters (from the reconciler), new rules (from a
 * registration); and ends the watch of a deleted job. A job with no row in the mirror (deleted) is not told.
 */
export function createWatchNotifier({ client, store, taskQueue, rulesOf, onLaterFailure }: WatchNotifierDeps) {
  const startOf = (definition: JobDefinition): WatchJobInput => ({
    job: { name: definition.name, service: definition.service },
    ...rulesOf(definition),
  });
  const tell = async (jobName: string, signal: keyof typeof WatchSignal, arg: unknown) => {
    const row = await store.getJob(jobName);
    if (row) await signalWatch(client, taskQueue, startOf(row.definition), signal, arg);
  };
  /** A starting watch gets its first health reading from here, not from an activity of its own. */
  const rulesChanged = async (definition: JobDefinition) => {
    const start = { ...startOf(definition), health: await readJobHealth(store, definition.name) };
    await signalWatch(client, taskQueue, start, 'rules', rulesIn(start));
  };
  const later = createHandOvers(rulesChanged, onLaterFailure);
  const runsEnded = createBatches<WatchedRun>((jobName, runs) => tell(jobName, 'runsEnded', runs));
  return {
    /**
     * Tells the job's watch of a run that ended unsuccessful; resolves once the signal that carries it is taken. The
     * ends of one job that come while its previous signal is in flight go together in the next ({@link createBatches}).
     */
    runEnded: (execution: ExecutionRecord) => runsEnded.add(execution.jobName, watchedRunOf(execution)),
    counters: (jobName: string, counters: CountersReading) => tell(jobName, 'counters', counters),
    /** Hands a job's watch its rules now, starting the watch when it is not running. */
    rulesChanged,
    /**
     * Hands a job's watch its rules after the caller has moved on (a registration answers without waiting for it),
     * once registrations pause ({@link createHandOvers}). A failure goes to `onLaterFailure`; the reconciler's next
     * pass (`watchesToMend`) mends it.
     */
    rulesChangedLater: (definition: JobDefinition): void => later.add(definition),
    /** Resolves once every hand-over begun by `rulesChangedLater` has been made, at once: for a graceful stop. */
    settled: () => later.flush(),
    /**
     * The jobs of `definitions` whose watch is not running, or holds other rules than the job's (a hand-over that
     * failed or was lost with its process): each is mended by `rulesChanged`. One visibility listing of the running
     * watches and their memos; `between` runs between its items (heartbeat, cancellation, a turn of the event loop).
     */
    async watchesToMend(definitions: readonly JobDefinition[], between: () => Promise<void>): Promise<JobDefinition[]> {
      const held = new Map<string, unknown>();
      const query = `WorkflowType = "${WorkflowType.watchJob}" AND ExecutionStatus = "Running"`;
      for await (const info of client.workflow.list({ query, pageSize: LIST_PAGE_SIZE })) {
        held.set(info.workflowId, info.memo?.[WATCH_RULES_MEMO]);
        await between();
      }
      const due: JobDefinition[] = [];
      for (const definition of definitions) {
        const id = watchWorkflowIdOf(definition.name);
        if (!held.has(id) || !isDeepStrictEqual(held.get(id), rulesIn(rulesOf(definition)))) due.push(definition);
        await between();
      }
      return due;
    },
    stop: (jobName: string) => stopWatch(client, jobName),
  };
}

export type WatchNotifier = ReturnType<typeof createWatchNotifier>;

/** How long without a new hand-over counts as registrations having paused, and the longest one waits: ms. */
const HAND_OVER_QUIET_MS = 250;
const HAND_OVER_MAX_WAIT_MS = 5_000;
/**
 * The least time between two hand-overs, ms (at most 50 a second): each starts a watch whose workflow task runs on
 * the API's event loop, so 10,000 jobs registered at once start their watches over 200 s, not in one flood that
 * would starve the API's reads.
 */
const HAND_OVER_INTERVAL_MS = 20;

/**
 * Rules hand-overs kept until registrations pause, then made one at a time, `intervalMs` apart at least: starting a
 * watch costs workflow tasks on the event loop that serves the API, so a burst of registrations (a service deploying
 * its jobs) is answered first, and the watches then start at a pace that leaves the API room. A job queued again
 * before its hand-over keeps its place and sends only its latest definition. One waits at most `maxWaitMs` from when
 * it was queued (then the pace alone holds it), however busy registration stays; `flush()` makes all at once.
 */
export function createHandOvers(
  send: (definition: JobDefinition) => Promise<void>,
  onFailure?: (jobName: string, err: unknown) => void,
  { quietMs = HAND_OVER_QUIET_MS, maxWaitMs = HAND_OVER_MAX_WAIT_MS, intervalMs = HAND_OVER_INTERVAL_MS } = {},
) {
  const pending = new Map<string, { definition: JobDefinition; queuedAt: number }>();
  let lastQueuedAt = 0;
  let lastSentAt = 0;
  let flushing = false;
  let draining: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  /** When the hand-over queued at `queuedAt` is due: now when flushing. */
  const dueAt = (queuedAt: number) =>
    flushing ? 0 : Math.max(lastSentAt + intervalMs, Math.min(lastQueuedAt + quietMs, queuedAt + maxWaitMs));
  const drain = async () => {
    for (let next = pending.values().next().value; next; next = pending.values().next().value) {
      const wait = dueAt(next.queuedAt) - Date.now();
      if (wait > 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, wait).unref();
        });
        continue;
      }
      pending.delete(next.definition.name);
      lastSentAt = Date.now();
      await send(next.definition).catch((err: unknown) => onFailure?.(next.definition.name, err));
    }
  };
  const run = () =>
    (draining ??= drain().finally(() => {
      draining = null;
    }));
  return {
    add(definition: JobDefinition): void {
      lastQueuedAt = Date.now();
      pending.set(definition.name, { definition, queuedAt: pending.get(definition.name)?.queuedAt ?? lastQueuedAt });
      void run();
    },
    async flush(): Promise<void> {
      flushing = true;
      wake?.();
      try {
        while (pending.size > 0 || draining) await run();
      } finally {
        flushing = false;
      }
    },
  };
}

/**
 * Items sent in batches per key, one send in flight per key at a time: an item added while its key's send is in
 * flight goes in the next batch, sent as soon as that send ends (at most `maxItems` a batch: more wait for the one
 * after). Nothing waits that need not: a lone item is sent at once, and a burst (a thousand runs of one job failing
 * together) becomes one send per round trip instead of one per item. `add` resolves once the send that holds the
 * item has resolved, and rejects with that send's error; a failed send does not hold back the next.
 */
export function createBatches<T>(send: (key: string, items: T[]) => Promise<void>, maxItems = 100) {
  interface Batch {
    items: T[];
    sent: Promise<void>;
  }
  /** Per key: the batch still taking items (not yet sent), and the last send begun or queued. */
  const keys = new Map<string, { open: Batch | null; last: Promise<void> }>();
  return {
    add(key: string, item: T): Promise<void> {
      const entry = keys.get(key) ?? { open: null, last: Promise.resolve() };
      keys.set(key, entry);
      if (entry.open && entry.open.items.length < maxItems) {
        entry.open.items.push(item);
        return entry.open.sent;
      }
      const batch: Batch = { items: [item], sent: Promise.resolve() };
      batch.sent = entry.last
        .catch(() => undefined)
        .then(() => {
          if (entry.open === batch) entry.open = null;
          return send(key, batch.items);
        });
      entry.open = batch;
      entry.last = batch.sent;
      void batch.sent
        .catch(() => undefined)
        .then(() => {
          if (entry.last === batch.sent) keys.delete(key);
        });
      return batch.sent;
    },
  };
}
