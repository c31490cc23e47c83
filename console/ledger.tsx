import type { Fate, Ledger, Occurrence } from './api';
import { formatInstant, statusText } from './format';

/** The fates in the order the legend lists them, each with its words. */
const FATE_WORDS: readonly (readonly [Fate, string])[] = [
  ['ran', 'ran'],
  ['skipped', 'skipped (overlap)'],
  ['missed', 'missed'],
  ['paused', 'paused'],
  ['not_due', 'not due'],
  ['unexplained', 'unexplained'],
];

/**
 * The most marks the strip draws: a day of a job firing every minute. A job firing more often shows its latest
 * times (the legend still counts the whole window), so a page never draws tens of thousands of marks.
 */
const MAX_MARKS = 1440;

/** A mark's colour class: a run's by its status, as the run strips colour it; any other fate by the fate. */
const markClass = (o: Occurrence) => (o.fate === 'ran' && o.status ? `status-${o.status}` : `fate-${o.fate}`);

/** A mark's tooltip: when, what became of it, and why. */
function markTitle(o: Occurrence): string {
  const fate = o.fate === 'ran' && o.status ? `ran, ${statusText(o.status)}` : o.fate.replace('_', ' ');
  return `${formatInstant(o.scheduledAt)}: ${fate}. ${o.reason}`;
}

/**
 * A job's occurrence ledger as a strip: one small mark per nominal time, oldest first, left to right and wrapping,
 * coloured by fate (a run by its status); each mark's tooltip gives its time, fate and reason, and the legend counts
 * each fate in words, so colour never carries meaning alone. A per-minute job's day is 1,440 marks of a few pixels,
 * laid out by one CSS grid; a job firing more often shows its latest {@link MAX_MARKS}.
 */
export function LedgerStrip({ ledger }: { ledger: Ledger }) {
  const { counts } = ledger;
  const total = ledger.occurrences.length;
  const occurrences = total > MAX_MARKS ? ledger.occurrences.slice(-MAX_MARKS) : ledger.occurrences;
  const shown =
    occurrences.length < total
      ? `the latest ${occurrences.length} of ${total} nominal times up to ${formatInstant(ledger.to)}`
      : `${total} nominal times from ${formatInstant(ledger.from)} to ${formatInstant(ledger.to)}`;
  const summary = FATE_WORDS.filter(([fate]) => (counts[fate] ?? 0) > 0)
    .map(([fate, words]) => `${counts[fate]} ${words}`)
    .join(', ');
  return (
    <figure class="ledger">
      {total === 0 ? (
        <p class="muted">No nominal time in this window.</p>
      ) : (
        <div class="ledger-strip" role="img" aria-label={`${shown}, oldest first; in the window: ${summary}`}>
          {occurrences.map((o) => (
            <span key={o.scheduledAt} class={`mark ${markClass(o)}`} data-fate={o.fate} title={markTitle(o)} />
          ))}
        </div>
      )}
      <figcaption>
        <ul class="legend" aria-label="Fates">
          {FATE_WORDS.map(([fate, words]) => (
            <li key={fate}>
              <span class={`dot fate-${fate}`} />
              {words} <span class="muted">{counts[fate] ?? 0}</span>
            </li>
          ))}
        </ul>
        {ledger.manual.length > 0 && (
          <p class="muted">
            Besides: {ledger.manual.length} manual, backfill or retry run{ledger.manual.length === 1 ? '' : 's'}.
          </p>
        )}
      </figcaption>
    </figure>
  );
}
