import {
  condition,
  defineSignal,
  makeContinueAsNewFunc,
  proxyActivities,
  setHandler,
  upsertMemo,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { chooseDestinations, type Alert, type AlertDeliveryRecord, type AlertRecord } from '../jobs/alert';
import {
  advance,
  applyWatchEvent,
  initialWatchState,
  nextWakeAt,
  WATCH_RULES_MEMO,
  WATCH_WORKFLOW_TASK_TIMEOUT,
  watchesHealth,
  type CountersReading,
  type WatchEvent,
  type WatchJobInput,
  type WatchRules,
  type WatchState,
  type WatchedRun,
} from '../jobs/alert-watch';
import { WatchSignal } from '../jobs/workflow-types';

/*
 * Workflow version 1.0 (docs/workflow-versions.md). A change to what this file asks of Temporal, or in which order,
 * is a new version: it goes behind `patched()`.
 */

/**
 * Runs of the job that ended unsuccessful: sent by the mirror's writes of their end rows (activities/mirror.ts), the
 * ends of a burst together (temporal/watch.ts).
 */
const runsEndedSignal = defineSignal<[WatchedRun[]]>(WatchSignal.runsEnded);
/** Temporal's counters of the schedule grew: sent by the reconciler. */
const countersSignal = defineSignal<[CountersReading]>(WatchSignal.counters);
/** The job was registered again: its rules, as the API works them out. */
const rulesSignal = defineSignal<[WatchRules]>(WatchSignal.rules);

/**
 * How often the watch reads the mirror while an episode waits for a success, or runs are timed: a recovery is told
 * at most this long (plus the damping window) after the success. Successes are not signalled: a healthy job costs
 * its watch nothing.
 */
const HEALTH_POLL_MS = 15_000;

/**
 * The watch continues as new once its history holds this many events (or sooner, when Temporal suggests it), about
 * 25 workflow tasks: a task its worker no longer holds in memory replays the whole history, one activation per past
 * task, each waiting its turn on the process's event loop. Under a burst the continue-as-new itself is often refused
 * (Temporal fails a task that closes the run while new signals wait: `UnhandledCommand`), and the retry is such a
 * replay. Measured with a thousand failures in a burst on two cores with six busy processes beside it: at 500 events
 * those replays took up to 12 s, at 150 up to 3.4 s. A thousand failures once left one run with ~4,300 events whose
 * replay took 40–60 s: past the task's timeout, so every retry timed out again and the watch stopped deciding.
 */
const HISTORY_EVENTS_LIMIT = 150;

/** How often the watch asks the occurrence ledger for times it cannot explain, and how far behind now it looks. */
const LEDGER_LOOK_MS = 3_600_000;
const LEDGER_LAG_MS = 600_000;

const { readJobHealth, recordAlert, listAlertDestinations, findUnexplained } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m' }, // no attempt limit: a mirror outage only delays
});
/** A message is tried until its destination takes it or the activity finds it past the maximum age. */
const DELIVERY: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '5m',
    nonRetryableErrorTypes: ['HttpClientError'],
  },
};
const { deliverAlert } = proxyActivities<Activities>(DELIVERY);

/**
 * One job's alert watch (one workflow per job, id `job-watch-<name>`): feeds its run failures, the schedule's
 * counters, the mirror's view of its health and the passing of time to the rules' state machine
 * (jobs/alert-watch.ts), which decides; delivers each message it answers to the job's destinations (in order per
 * destination, retried until taken or too old) and records every episode and delivery in the mirror. Durable: its
 * timers and pending messages live in Temporal, so a restart of the scheduler loses none. Never ends by itself;
 * continues as new when its history grows long.
 */
export async function watchJob(input: WatchJobInput): Promise<void> {
  let state = input.state ?? initialWatchState(input.job, input.rules, Date.now());
  let named = input.destinations;
  const deliveries = new Map(Object.entries(input.deliveries ?? {}));
  const inbox: WatchEvent[] = [...(input.inbox ?? [])];
  setHandler(runsEndedSignal, (runs) => void inbox.push(...runs.map((run) => ({ type: 'run' as const, run }))));
  setHandler(countersSignal, (counters) => void inbox.push({ type: 'counters', ...counters }));
  setHandler(rulesSignal, (next) => {
    inbox.push({ type: 'rules', rules: next.rules });
    named = next.destinations;
    // what the reconciler compares with the job's rules (its starter put the first ones there)
    upsertMemo({ [WATCH_RULES_MEMO]: next });
  });
  const outbox = createOutbox(state.job, deliveries);
  // the hourly look at the ledger starts from the watch's own start: it does not judge the time before it
  let ledgerFrom = input.ledgerCheckedTo ?? Date.now() - LEDGER_LAG_MS;
  const ledgerDue = () => ledgerFrom + LEDGER_LAG_MS + LEDGER_LOOK_MS;
  if (!input.state) inbox.push({ type: 'health', ...(input.health ?? (await readJobHealth(state.job.name))) });

  for (;;) {
    let messages: Alert[] = [];
    const take = ([next, sent]: [WatchState, Alert[]]) => {
      state = next;
      messages = [...messages, ...sent];
    };
    for (let event = inbox.shift(); event; event = inbox.shift()) take(applyWatchEvent(state, event, Date.now()));
    take(advance(state, Date.now()));
    if (messages.length > 0) {
      const destinations = chooseDestinations(named, await listAlertDestinations());
      for (const message of messages) await outbox.send(message, destinations);
    }
    const { continueAsNewSuggested, historyLength } = workflowInfo();
    // once no delivery is in flight (they end in the run that began them; meanwhile the watch goes on deciding), with
    // the signals that came while this pass sent its messages as the next run's inbox
    if ((continueAsNewSuggested || historyLength >= HISTORY_EVENTS_LIMIT) && outbox.idle()) {
      const kept = Object.fromEntries([...deliveries].filter(([id]) => episodeIds(state).includes(id)));
      // the memo too (the rules the reconciler compares): a new run starts with none of its own
      await makeContinueAsNewFunc<typeof watchJob>({
        memo: workflowInfo().memo,
        workflowTaskTimeout: WATCH_WORKFLOW_TASK_TIMEOUT,
      })({
        job: state.job,
        rules: state.rules,
        destinations: named,
        state,
        deliveries: kept,
        ledgerCheckedTo: ledgerFrom,
        inbox,
      });
    }
    const now = Date.now();
    const wakes = [nextWakeAt(state, now), watchesHealth(state) ? now + HEALTH_POLL_MS : null, ledgerDue()].filter(
      (t): t is number => t !== null,
    );
    const signalled = await condition(() => inbox.length > 0, Math.max(1, Math.min(...wakes) - now));
    // a deadline or a poll: what the mirror says first, so a success it holds comes before any alert
    if (!signalled) inbox.push({ type: 'health', ...(await readJobHealth(state.job.name)) });
    if (Date.now() >= ledgerDue()) {
      const to = Date.now() - LEDGER_LAG_MS;
      const window = { from: new Date(ledgerFrom).toISOString(), to: new Date(to).toISOString() };
      inbox.push({ type: 'unexplained', times: await findUnexplained(state.job.name, window) });
      ledgerFrom = to;
    }
  }
}

const episodeIds = (state: WatchState) => Object.values(state.channels).map((c) => c!.episode.id);

/**
 * Sends messages to destinations, one chain per destination so each gets an episode's firing before its
 * resolution, and records each episode in the mirror as it stands: at once with its deliveries pending, then as
 * each delivery ends.
 */
function createOutbox(job: WatchJobInput['job'], deliveries: Map<string, AlertDeliveryRecord[]>) {
  const chains = new Map<string, Promise<void>>();
  let inFlight = 0;
  const at = () => new Date().toISOString();
  const record = (message: Alert) => recordAlert(recordOf(job, message, deliveries.get(message.id) ?? [], at()));
  const note = (message: Alert, delivery: AlertDeliveryRecord) => {
    const others = (deliveries.get(message.id) ?? []).filter(
      (d) => !(d.destination === delivery.destination && d.kind === delivery.kind),
    );
    deliveries.set(message.id, [...others, delivery]);
  };
  const deliver = async (message: Alert, destination: string) => {
    const outcome = await deliverAlert({ alert: message, destination }).catch(
      (err: unknown) => ({ status: 'undeliverable', message: errorText(err) }) as const,
    );
    const detail = outcome.status === 'delivered' ? String(outcome.httpStatus) : outcome.message;
    note(message, { destination, kind: message.kind, status: outcome.status, at: at(), detail });
    await record(message);
  };
  return {
    async send(message: Alert, destinations: string[]): Promise<void> {
      for (const destination of destinations) {
        note(message, { destination, kind: message.kind, status: 'pending', at: at(), detail: null });
      }
      await record(message);
      for (const destination of destinations) {
        const previous = chains.get(destination) ?? Promise.resolve();
        inFlight++;
        const delivered = previous.then(() => deliver(message, destination)).finally(() => void inFlight--);
        chains.set(destination, delivered);
      }
    },
    /** Whether every message handed over has been delivered or given up on, and recorded. */
    idle: (): boolean => inFlight === 0,
  };
}

function recordOf(
  job: WatchJobInput['job'],
  message: Alert,
  deliveries: AlertDeliveryRecord[],
  now: string,
): AlertRecord {
  return {
    id: message.id,
    jobName: job.name,
    service: job.service,
    rule: message.rule,
    state: message.kind === 'firing' ? 'open' : 'resolved',
    summary: message.summary,
    openedAt: message.openedAt,
    resolvedAt: message.resolvedAt,
    runs: message.runs,
    deliveries,
    updatedAt: now,
  };
}

/** A delivery's final refusal, in words: the activity failure's cause (the destination's answer). */
function errorText(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
}
