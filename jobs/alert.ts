import type { ExecutionStatus } from './execution';
import { durationWords } from './text';

/**
 * The alert a destination receives: one message of an alert *episode* (a job's rule opens it, firing; the job's
 * recovery closes it, resolved). Plain JSON, built by the evaluation workflow (time and ids from
 * `@temporalio/workflow`), delivered by the `deliverAlert` activity, which adds the links. Inert: the workflow bundle
 * imports it.
 */

/** The rule that opened the episode, with its settings (durations in seconds). */
export type AlertRule =
  /** A run ended unsuccessful after its retries. */
  | { type: 'run_failed' }
  /** `count` unsuccessful runs in a row (one episode per streak). */
  | { type: 'consecutive_failures'; count: number }
  /** No successful run for `seconds` (the dead-man's switch). */
  | { type: 'no_success_within'; seconds: number }
  /** A run still going after `seconds`. */
  | { type: 'running_too_long'; seconds: number }
  /** Occurrences skipped by the overlap policy. */
  | { type: 'occurrences_skipped' }
  /** Occurrences missed (older than the catch-up window when the scheduler got to them). */
  | { type: 'occurrences_missed' }
  /** A nominal time with no explained fate in the occurrence ledger. */
  | { type: 'unexplained_occurrence' };

/** One run the alert is about, as the mirror knows it (ISO-8601 UTC times; null when unknown). */
export interface AlertRun {
  /** The execution id (the workflow id). */
  executionId: string;
  status: ExecutionStatus;
  scheduledAt: string | null;
  startedAt: string | null;
  /** The run's error as recorded (already cut by the mirror); null for a run without one. */
  error: string | null;
  /** The service's last HTTP status; null when no answer came. */
  httpStatus: number | null;
}

/** At most this many runs travel with an alert, newest first. */
export const MAX_ALERT_RUNS = 5;

/** What the evaluation workflow builds: serialisable, no links (the delivering worker knows its URLs). */
export interface Alert {
  /** The episode id: the same for the firing and the resolved message of one episode, and on every retry. */
  id: string;
  kind: 'firing' | 'resolved';
  job: { name: string; service: string };
  rule: AlertRule;
  /** One line, plain text: what is wrong (firing) or that it is over (resolved). */
  summary: string;
  /** When the episode opened (ISO-8601 UTC). */
  openedAt: string;
  /** When it was resolved (ISO-8601 UTC); null while it fires. */
  resolvedAt: string | null;
  /** The runs that matter, newest first, at most {@link MAX_ALERT_RUNS} (more are dropped when formatted). */
  runs: AlertRun[];
  /** Plain-text steps for the person told; {@link defaultNextSteps} gives the usual ones. */
  nextSteps: string[];
}

/** What became of one message of an episode at one destination, as the mirror keeps it. */
export interface AlertDeliveryRecord {
  destination: string;
  kind: Alert['kind'];
  /** `pending` while it is being tried (the destination down, say); `undeliverable` past the maximum age. */
  status: 'pending' | 'delivered' | 'undeliverable';
  /** When it reached this status (ISO-8601 UTC). */
  at: string;
  /** The destination's HTTP status when delivered; the reason when undeliverable; null while pending. */
  detail: string | null;
}

/**
 * An alert episode as the mirror keeps it (table `job_alerts`) and `GET /api/alerts` shows it: one per job, rule
 * and opening. Written by the watch workflow's activity at each change; a write replaces the stored record only when
 * its `updatedAt` is at least as recent, so writes that land out of order leave the latest.
 */
export interface AlertRecord {
  /** The episode id ({@link Alert.id}). */
  id: string;
  jobName: string;
  service: string;
  rule: AlertRule;
  state: 'open' | 'resolved';
  summary: string;
  openedAt: string;
  resolvedAt: string | null;
  /** The runs that matter, newest first, at most {@link MAX_ALERT_RUNS}. */
  runs: AlertRun[];
  /** The latest outcome per destination and kind. */
  deliveries: AlertDeliveryRecord[];
  /** When this state was decided (ISO-8601 UTC, workflow time). */
  updatedAt: string;
}

/** Where a person follows the alert: the job in the admin console and in Temporal Web. */
export interface AlertLinks {
  /** The job's page in the admin console (`…/admin/#/jobs/<name>`). */
  console: string;
  /** The job's schedule in Temporal Web. */
  temporalWeb: string;
}

/** A run as delivered: with its page in the console and its workflow in Temporal Web. */
export interface DeliveredAlertRun extends AlertRun {
  links: AlertLinks;
}

/** Version of the generic webhook's body; a change that is not an addition bumps it. */
export const ALERT_PAYLOAD_VERSION = 1;

/**
 * The generic webhook's JSON body: the alert, versioned, with its links and the delivery's `idempotencyKey` (the
 * same as the `Idempotency-Key` header, inside the signed body so a captured body cannot be resent under a new key).
 */
export interface AlertPayload extends Omit<Alert, 'runs'> {
  version: typeof ALERT_PAYLOAD_VERSION;
  idempotencyKey: string;
  links: AlertLinks;
  runs: DeliveredAlertRun[];
}

/** The destination kinds: a generic signed JSON webhook, or a Slack incoming webhook. */
export type AlertDestinationKind = 'webhook' | 'slack';

/** One of `SCHEDULER_ALERT_WEBHOOKS`. The URL is a secret (a Slack webhook's path is its credential). */
export interface AlertDestination {
  name: string;
  kind: AlertDestinationKind;
  url: string;
}

/**
 * The `Idempotency-Key` of one message to one destination: `<episode id>:<kind>:<destination>`. The same on every
 * attempt; the firing and the resolved message of an episode differ, so a receiver that drops repeats keeps both.
 */
export const alertDeliveryKey = (alert: Pick<Alert, 'id' | 'kind'>, destination: string) =>
  `${alert.id}:${alert.kind}:${destination}`;

/** When the message happened: its resolution for a resolved one, else the opening. Its age counts from here. */
export const alertTimeOf = (alert: Pick<Alert, 'kind' | 'openedAt' | 'resolvedAt'>) =>
  alert.kind === 'resolved' && alert.resolvedAt ? alert.resolvedAt : alert.openedAt;

/**
 * The destinations a job alerts: those it names, or every configured one when it names none. A name that is not
 * configured is dropped (the registration refuses it; one configured away later must not stop the others).
 */
export function chooseDestinations(named: readonly string[] | undefined, configured: readonly string[]): string[] {
  if (!named || named.length === 0) return [...configured];
  return named.filter((name) => configured.includes(name));
}

/** What a rule watches, in a few words, for titles: `3 failed runs in a row`. */
export function describeRule(rule: AlertRule): string {
  switch (rule.type) {
    case 'run_failed':
      return 'a run failed';
    case 'consecutive_failures':
      return `${rule.count} failed runs in a row`;
    case 'no_success_within':
      return `no success within ${durationWords(rule.seconds)}`;
    case 'running_too_long':
      return `a run still going after ${durationWords(rule.seconds)}`;
    case 'occurrences_skipped':
      return 'occurrences skipped';
    case 'occurrences_missed':
      return 'occurrences missed';
    case 'unexplained_occurrence':
      return 'an occurrence with no explained fate';
  }
}

/** The usual next steps for a firing alert of `rule` (none for a resolved one). Plain text. */
export function defaultNextSteps(rule: AlertRule, kind: Alert['kind']): string[] {
  if (kind === 'resolved') return [];
  const readErrors = "Read the failing runs' errors and HTTP statuses in this alert, and the service's own logs.";
  const retry = 'Once the cause is fixed, retry a failed run from the console (Retry on the run).';
  switch (rule.type) {
    case 'run_failed':
    case 'consecutive_failures':
      return [readErrors, 'Check that the service is up and that its endpoint answers 2xx.', retry];
    case 'no_success_within':
      return [
        'Open the job in the console: is it paused, are its runs failing, or is nothing running at all?',
        'Nothing running: check that the scheduler worker and Temporal are up (GET /ready) and the schedule is not paused in Temporal Web.',
        retry,
      ];
    case 'running_too_long':
      return [
        'Open the running run in Temporal Web: its pending activity shows the attempt and the last heartbeat.',
        'Check the service for a stuck request; cancel or terminate the run in Temporal Web if it cannot finish.',
      ];
    case 'occurrences_skipped':
      return [
        'A run was still going when the next was due: compare run durations with the schedule in the console.',
        "Make the job faster, run it less often, or change its overlap policy (overlap: 'buffer_one' or 'allow_all').",
      ];
    case 'occurrences_missed':
      return [
        'The scheduler could not start these occurrences within the catch-up window (worker or Temporal down).',
        'Backfill the missed range from the console if the work is still needed; raise catchupWindowSeconds if they should run late.',
      ];
    case 'unexplained_occurrence':
      return [
        "Compare the job's occurrence ledger with the schedule in Temporal Web, and report it: this should never happen.",
      ];
  }
}
