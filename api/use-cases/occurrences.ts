import { countPlannedTimes, type Ledger } from '../../jobs/occurrences';
import { readLedger } from '../../store/ledger';
import { InvalidRequestError } from '../errors';
import type { Caller } from '../identity';
import type { UseCaseContext } from './context';
import { readJob } from './job-reads';

/**
 * A ledger lists at most this many nominal times: 7 days of a job firing every minute (10,080) fit twice over.
 * A larger window is a 400 naming `from`.
 */
const MAX_OCCURRENCES = 20_000;
/** The window when `from` is not given: the day before `to`. */
const DEFAULT_WINDOW_MS = 86_400_000;

/** The ledger of a job over [from, to), with the window it covers (ISO-8601). */
export type JobLedger = Ledger & { from: string; to: string };

/**
 * The occurrence ledger of the job `name` over [from, to) (ISO-8601; `to` defaults to now, `from` to a day before
 * `to`): every nominal time of the plan its schedule follows (jobs/fire-plan.ts: the UTC calendars Temporal is
 * given, so daylight-saving rules included) with its fate (jobs/occurrences.ts), and the manual, backfill and retry
 * runs started in the window. Three reads: the job, its runs (one indexed range), its pause history.
 * @throws {@link JobNotFoundError} when there is no such job, or the caller may not see it.
 * @throws {@link InvalidRequestError} on `to` not after `from`, or on `from` for a window of more than
 *   {@link MAX_OCCURRENCES} nominal times.
 */
export async function jobLedger(
  ctx: UseCaseContext,
  name: string,
  window: { from?: string; to?: string },
  caller: Caller,
  now = Date.now(),
): Promise<JobLedger> {
  const row = await readJob(ctx, name, caller);
  const to = window.to ? Date.parse(window.to) : now;
  const from = window.from ? Date.parse(window.from) : to - DEFAULT_WINDOW_MS;
  if (to <= from) throw new InvalidRequestError('to: must be after from', 'to');
  const count = countPlannedTimes(row.definition, from, to, now);
  if (count > MAX_OCCURRENCES) {
    throw new InvalidRequestError(
      `from: the window holds ${count} occurrences; at most ${MAX_OCCURRENCES} per ledger: narrow it`,
      'from',
    );
  }
  const ledger = await readLedger(ctx.store, row, { from, to }, now);
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...ledger };
}
