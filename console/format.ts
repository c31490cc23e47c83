/** Formatting for people: the browser's locale and time zone, with the exact instant kept in `<time datetime>`. */
import type { JobView } from '../api/schemas/jobs';

const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
/** Always a number ("in 1 day", never "tomorrow"): a rounded day count is not a calendar day (35 hours ahead is the day after tomorrow). */
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'always' });

/** "Nov 30, 2026, 9:00:00 AM" in the browser's zone; "—" for none. */
export const formatInstant = (iso: string | null | undefined): string => (iso ? absolute.format(new Date(iso)) : '—');

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

/** "in 3 hours", "5 minutes ago", "in 1 day": relative to `now` (ms since the epoch), in the largest whole unit reached, rounded. */
export function formatRelative(iso: string, now = Date.now()): string {
  const delta = new Date(iso).getTime() - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(delta) >= ms || unit === 'second') return relative.format(Math.round(delta / ms), unit);
  }
  return '';
}

/** "850 ms", "12.3 s", "4 min 5 s"; "—" for none. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** "97 %" of successes among ended runs; "—" before any. */
export function successRate(succeeded: number, failed: number): string {
  const ended = succeeded + failed;
  return ended === 0 ? '—' : `${Math.round((100 * succeeded) / ended)} %`;
}

/** A status for reading: `timed_out` → "timed out". */
export const statusText = (status: string): string => status.replace('_', ' ');

/** `<input type="datetime-local">`'s value for an instant, in the browser's zone. */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

const WORD_UNITS: [string, number][] = [
  ['day', 86_400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** A duration in seconds in words, its two largest parts: "2 days 27 minutes", "90 seconds" → "1 minute 30 seconds". */
export function durationInWords(seconds: number): string {
  const parts: string[] = [];
  let rest = seconds;
  for (const [word, size] of WORD_UNITS) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 && parts.length < 2) parts.push(`${n} ${word}${n === 1 ? '' : 's'}`);
    else if (parts.length > 0) break; // "2 days 5 seconds" would mislead: stop at the first empty part after one
  }
  return parts.join(' ') || '0 seconds';
}

/**
 * A job's alert rules in words: "Alerts when a run fails; after 3 failures in a row; when no run succeeds for 2 days
 * (from the schedule)", and where they go: "To: ops-slack." (or that they go nowhere).
 */
export function alertRulesInWords(rules: JobView['alerts']): { when: string; to: string; damping: string } {
  const when: string[] = [];
  if (rules.onFailure) when.push('when a run fails');
  if (rules.consecutiveFailures !== null) when.push(`after ${rules.consecutiveFailures} failures in a row`);
  if (rules.noSuccessWithinSeconds !== null) {
    const derived = rules.noSuccessWithinDerived ? ' (from the schedule)' : '';
    when.push(`when no run succeeds for ${durationInWords(rules.noSuccessWithinSeconds)}${derived}`);
  }
  if (rules.runningLongerThanSeconds !== null) {
    when.push(`while a run goes on past ${durationInWords(rules.runningLongerThanSeconds)}`);
  }
  if (rules.onSkipped) when.push('when occurrences are skipped (overlap)');
  if (rules.onMissed) when.push('when occurrences are missed');
  return {
    when: when.length === 0 ? 'No alert rule is on.' : `Alerts ${when.join('; ')}.`,
    to:
      rules.destinations.length === 0
        ? 'To: nowhere (no destination configured in SCHEDULER_ALERT_WEBHOOKS).'
        : `To: ${rules.destinations.join(', ')}.`,
    damping:
      rules.dampingSeconds === 0
        ? 'Every change is told at once (no damping).'
        : `At most one message per rule every ${durationInWords(rules.dampingSeconds)}.`,
  };
}
