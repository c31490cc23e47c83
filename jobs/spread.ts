/**
 * The per-job spread (`spreadSeconds`, docs/herds.md): a job that opts in fires a fixed number of seconds after each
 * time its cron names, the same second for the same name on every replica, restart and version. Like Jenkins' `H`
 * and dkron's `~`, it moves the nominal times themselves, so every fire time the product works out (Temporal's plan,
 * run workflow ids, next run times, the occurrence ledger, previews, derived alert durations, the fleet view) comes
 * from {@link jobCron}: the one place the offset is applied.
 */
import { createHash } from 'node:crypto';
import { parseCron, type Cron } from './cron';
import type { JobDefinition } from './job';

/** `spreadSeconds` is 0–59: the offset stays within the minute each cron time names. */
export const MAX_SPREAD_SECONDS = 59;

/**
 * A job's fixed offset in seconds, 0–`spreadSeconds`: the first four bytes of SHA-256 of its name (UTF-8) as an
 * unsigned big-endian integer, modulo `spreadSeconds + 1`. 0 when the job spreads nothing. The rule is part of the
 * contract: changing it would move every spread schedule (its values are pinned in jobs/spread.test.ts).
 */
export function spreadOffsetOf(name: string, spreadSeconds = 0): number {
  if (spreadSeconds <= 0) return 0;
  return createHash('sha256').update(name, 'utf8').digest().readUInt32BE(0) % (spreadSeconds + 1);
}

/** Whether a cron names its own seconds (six fields, seconds first): a spread would overrule them. */
function namesSeconds(cron: Cron): boolean {
  return cron.kind === 'calendar' && cron.expression.split(' ').length === 6;
}

/**
 * A cron's times moved `offsetSeconds` later: every fire time of a calendar cron (`shiftSeconds`: after the
 * daylight-saving policy has placed it, so a time moved to a gap's end moves too), and so each UTC calendar Temporal
 * gets fires at second `o` instead of 0; an interval's offset becomes `(offset + o) mod every`. A shift within the
 * minute never meets a daylight-saving change differently from the minute it belongs to. A cron that names its own seconds is returned unchanged (refused when
 * registered, see {@link spreadProblem}).
 */
export function shiftCron(cron: Cron, offsetSeconds: number): Cron {
  if (offsetSeconds === 0) return cron;
  if (cron.kind === 'interval') {
    return { ...cron, offsetSeconds: (cron.offsetSeconds + offsetSeconds) % cron.everySeconds };
  }
  if (namesSeconds(cron)) return cron;
  return { ...cron, fields: { ...cron.fields, shiftSeconds: offsetSeconds } };
}

/** What {@link jobCron} needs of a job; `spreadSeconds` absent is 0. */
export type JobTiming = Pick<JobDefinition, 'name' | 'cron' | 'spreadSeconds'>;

/**
 * A job's cron as it fires: its cron string parsed, shifted by the job's spread offset. Every fire time of a job is
 * worked out from this.
 * @throws {@link CronError} if the cron is not in the dialect.
 */
export function jobCron(job: JobTiming): Cron {
  return shiftCron(parseCron(job.cron), spreadOffsetOf(job.name, job.spreadSeconds));
}

/**
 * Why a job's `spreadSeconds` cannot be honoured, or null: out of 0–59, or a cron that names its own seconds.
 * @throws {@link CronError} if the cron is not in the dialect.
 */
export function spreadProblem(cron: string, spreadSeconds: number | undefined): string | null {
  if (spreadSeconds === undefined || spreadSeconds === 0) return null;
  if (!Number.isInteger(spreadSeconds) || spreadSeconds < 0 || spreadSeconds > MAX_SPREAD_SECONDS) {
    return `must be a whole number of seconds from 0 to ${MAX_SPREAD_SECONDS}`;
  }
  if (namesSeconds(parseCron(cron))) {
    return (
      'cannot move a cron that names its own seconds (six fields, seconds first): write the second you want in ' +
      'its seconds field, or write five fields and keep spreadSeconds'
    );
  }
  return null;
}
