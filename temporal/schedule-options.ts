import {
  DAYS_OF_WEEK,
  MONTHS,
  type CalendarSpec,
  type Range,
  type ScheduleDescription,
  type ScheduleOptions,
  type ScheduleSpec,
} from '@temporalio/client';
import { parseCron } from '../jobs/cron';
import { horizonOf, type FirePlan, type UtcCalendar } from '../jobs/fire-plan';
import { planJob } from '../jobs/validate';
import { workflowIdBaseOf, scheduleIdOf } from '../jobs/ids';
import type { JobDefinition } from '../jobs/job';
import type { RunJobInput } from '../jobs/run-input';
import { JOB_NAME, JOB_SERVICE, JOB_TRIGGER } from './search-attributes';
import { WorkflowType } from '../jobs/workflow-types';

/**
 * A job as a Temporal Schedule: its fire plan as of `now` (UTC calendars, see `jobs/fire-plan.ts`), jitter, overlap
 * policy and catch-up window (SPEC §2).
 * @throws {@link InvalidJobError} on `cron` when the cron never fires.
 */
export function toScheduleOptions(job: JobDefinition, taskQueue: string, now = new Date()): ScheduleOptions {
  const input: RunJobInput = { job, trigger: 'schedule', triggeredBy: null, retryOf: null };
  return {
    scheduleId: scheduleIdOf(job.name),
    spec: toScheduleSpec(planJob(job, now), job.jitterSeconds),
    action: {
      type: 'startWorkflow',
      workflowType: WorkflowType.runJob,
      taskQueue,
      workflowId: workflowIdBaseOf(job.name),
      args: [input],
      typedSearchAttributes: runSearchAttributes(job, 'schedule'),
    },
    policies: {
      overlap: job.overlap.toUpperCase() as Uppercase<JobDefinition['overlap']>,
      catchupWindow: `${job.catchupWindowSeconds}s`,
      pauseOnFailure: false,
    },
    state: scheduleStateOf(job, null),
    typedSearchAttributes: [
      { key: JOB_NAME, value: job.name },
      { key: JOB_SERVICE, value: job.service },
    ],
  };
}

/** A schedule's paused state and its note, as Temporal keeps them. */
export interface ScheduleState {
  paused: boolean;
  note?: string;
}

/**
 * The note of a schedule paused only because its service registered the job with `enabled: false`; the second is what
 * versions before 0.2.0 wrote. Any other note on a paused schedule is an admin's (ours, or Temporal Web's).
 */
export const DISABLED_NOTE = 'disabled by its service (enabled: false)';
const DISABLED_NOTES: readonly string[] = [DISABLED_NOTE, 'registered disabled (enabled: false)'];

/**
 * Whether an admin has paused the job: its schedule is paused for a reason other than its service's `enabled: false`.
 * A job runs only while its service has it enabled and no admin has paused it (docs/jobs.md, "enabled and paused").
 */
export function adminPausedOf(job: JobDefinition, state: ScheduleState): boolean {
  return state.paused && (job.enabled || !DISABLED_NOTES.includes(state.note ?? ''));
}

/**
 * The schedule state a job must have: paused while its service has it disabled or an admin has paused it, with the
 * admin's note (`adminNote`, null when no admin paused it) or {@link DISABLED_NOTE}.
 */
function scheduleStateOf(job: JobDefinition, adminNote: string | null): ScheduleState {
  if (adminNote !== null) return { paused: true, note: adminNote };
  return job.enabled ? { paused: false } : { paused: true, note: DISABLED_NOTE };
}

/**
 * The state a job's schedule must move to, or null when it has it already. Whether an admin paused it is judged by
 * the definition the schedule had (`previous`); the admin's pause and note are kept, the service's `enabled` applied.
 */
export function stateToApply(state: ScheduleState, previous: JobDefinition, job: JobDefinition): ScheduleState | null {
  const wanted = scheduleStateOf(job, adminPausedOf(previous, state) ? (state.note ?? '') : null);
  const same = wanted.paused === state.paused && (!wanted.paused || wanted.note === (state.note ?? ''));
  return same ? null : wanted;
}

/** Every job's schedule id starts so; other schedules in the namespace are not ours. */
export const JOB_SCHEDULE_PREFIX = scheduleIdOf('');

export const runSearchAttributes = (job: JobDefinition, trigger: RunJobInput['trigger']) => [
  { key: JOB_NAME, value: job.name },
  { key: JOB_SERVICE, value: job.service },
  { key: JOB_TRIGGER, value: trigger },
];

/** The definition a schedule carries, or null for a schedule that is not one of our jobs. */
export function definitionOfAction(action: {
  type: string;
  workflowType?: string;
  args?: readonly unknown[];
}): JobDefinition | null {
  if (action.type !== 'startWorkflow' || action.workflowType !== WorkflowType.runJob) return null;
  const input = action.args?.[0] as Partial<RunJobInput> | undefined;
  return input?.job ?? null;
}

/** The comment on a plan's first calendar: it carries the plan's horizon, so the reconciler sees when to replan. */
const PLAN_COMMENT = 'scheduler-service plan; horizon until ';

/** A fire plan as Temporal's spec: UTC calendars and intervals, the horizon in the first calendar's comment. */
export function toScheduleSpec(plan: FirePlan, jitterSeconds = 0): ScheduleSpec {
  const calendars = plan.calendars.map(toCalendarSpec);
  if (calendars[0]) calendars[0].comment = PLAN_COMMENT + (plan.horizon?.to ?? 'never');
  return {
    calendars,
    intervals: plan.intervals.map(({ everySeconds, offsetSeconds }) => ({
      every: `${everySeconds}s`,
      ...(offsetSeconds > 0 ? { offset: `${offsetSeconds}s` } : {}),
    })),
    timezone: 'UTC',
    ...(jitterSeconds > 0 ? { jitter: `${jitterSeconds}s` } : {}),
  };
}

/**
 * Whether a schedule follows the plan its job has as of `now`: false for a plan made for an earlier horizon (the
 * reconciler replans it) and for a schedule created before plans existed (its cron handed to Temporal as written).
 * @throws {@link CronError} if the job's cron is not in the dialect (a job registered before it was checked).
 */
export function followsPlan(spec: ScheduleDescription['spec'], job: JobDefinition, now = new Date()): boolean {
  const cron = parseCron(job.cron);
  const calendars = spec.calendars ?? [];
  if (cron.kind === 'interval') return calendars.length === 0 && (spec.intervals?.length ?? 0) > 0;
  return calendars[0]?.comment === PLAN_COMMENT + (horizonOf(cron, job.timezone, now)?.to ?? 'never');
}

function toCalendarSpec(c: UtcCalendar): CalendarSpec {
  return {
    second: ranges(c.seconds),
    minute: ranges(c.minutes),
    hour: ranges(c.hours),
    dayOfMonth: c.daysOfMonth ? ranges(c.daysOfMonth) : '*',
    month: c.months ? ranges(c.months).map((r) => named(r, (m) => MONTHS[m - 1]!)) : '*',
    year: c.years ? ranges(c.years) : '*',
    dayOfWeek: c.daysOfWeek ? ranges(c.daysOfWeek).map((r) => named(r, (d) => DAYS_OF_WEEK[d]!)) : '*',
  };
}

/** Sorted values as ranges: runs with one step (of three values or more) become `{start, end, step}`. */
function ranges(values: readonly number[]): Range<number>[] {
  const out: Range<number>[] = [];
  for (let i = 0; i < values.length;) {
    const step = (values[i + 1] ?? NaN) - values[i]!;
    let j = i + 1;
    while (j + 1 < values.length && values[j + 1]! - values[j]! === step) j++;
    if (j - i >= 2) {
      out.push({ start: values[i]!, end: values[j]!, step });
      i = j + 1;
    } else {
      out.push({ start: values[i]!, end: values[i]!, step: 1 });
      i++;
    }
  }
  return out;
}

const named = <T>(r: Range<number>, name: (v: number) => T): Range<T> => ({
  start: name(r.start),
  end: name(r.end),
  step: r.step,
});
