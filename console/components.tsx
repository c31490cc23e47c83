import type { ComponentChildren } from 'preact';
import { Link } from 'wouter-preact';
import type { ApiFailure, ExecutionStatus, RecentRun } from './api';
import { formatInstant, formatRelative, statusText } from './format';

/** An instant, absolute (and relative with `relative`), machine-readable in `datetime`. */
export function Time({ at, relative = false }: { at: string | null | undefined; relative?: boolean }) {
  if (!at) return <span>—</span>;
  return (
    <time dateTime={at} title={at}>
      {formatInstant(at)}
      {relative && <span class="muted"> ({formatRelative(at)})</span>}
    </time>
  );
}

/** A run's status as a coloured word (the colour repeats the word; it never carries meaning alone). */
export function Status({ status }: { status: ExecutionStatus }) {
  return <span class={`status status-${status}`}>{statusText(status)}</span>;
}

/** The last runs, oldest to newest left to right, one coloured mark each; the label says the same in words. */
export function RunStrip({ runs }: { runs: RecentRun[] }) {
  if (runs.length === 0) return <span class="muted">no runs yet</span>;
  const ordered = [...runs].reverse();
  const counts = new Map<string, number>();
  for (const run of runs) counts.set(run.status, (counts.get(run.status) ?? 0) + 1);
  const summary = [...counts].map(([status, n]) => `${n} ${statusText(status)}`).join(', ');
  return (
    <span class="strip" role="img" aria-label={`Last ${runs.length} runs, oldest first: ${summary}`}>
      {ordered.map((run) => (
        <span key={run.id} class={`mark status-${run.status}`} title={`${statusText(run.status)} ${run.startedAt}`} />
      ))}
    </span>
  );
}

/** A refusal or a result, read out by screen readers when it appears. */
export function Notice({ failure, children }: { failure?: ApiFailure | null; children?: ComponentChildren }) {
  if (failure) {
    return (
      <p class="notice error" role="alert">
        {failure.message}
      </p>
    );
  }
  if (!children) return null;
  return (
    <p class="notice" role="status">
      {children}
    </p>
  );
}

/** Paging over a cursor: back to the first page, or on to the next. */
export function Pager({
  atStart,
  next,
  onFirst,
  onNext,
  label,
}: {
  atStart: boolean;
  next: string | null | undefined;
  onFirst: () => void;
  onNext: (cursor: string) => void;
  label: string;
}) {
  if (atStart && !next) return null;
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" disabled={atStart} onClick={onFirst}>
        First page
      </button>
      <button type="button" disabled={!next} onClick={() => next && onNext(next)}>
        Next page
      </button>
    </nav>
  );
}

/** A link to a run's page by its id. */
export const RunLink = ({ id, children }: { id: string; children?: ComponentChildren }) => (
  <Link href={`/executions/${encodeURIComponent(id)}`}>{children ?? id}</Link>
);

/** A link to a job's page. */
export const JobLink = ({ name }: { name: string }) => <Link href={`/jobs/${encodeURIComponent(name)}`}>{name}</Link>;

/** A link out to Temporal Web, in a new tab. */
export const TemporalLink = ({ url, children }: { url: string; children: ComponentChildren }) => (
  <a href={url} target="_blank" rel="noopener noreferrer">
    {children}
    <span class="visually-hidden"> (opens Temporal Web in a new tab)</span>
  </a>
);

/** A labelled input of a filter bar; `onChange` gets the new value once it is committed (typing: each change). */
export function InputField({
  id,
  label,
  type = 'text',
  value,
  onChange,
}: {
  id: string;
  label: string;
  type?: 'text' | 'datetime-local';
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} type={type} value={value} onChange={(e) => onChange(e.currentTarget.value)} />
    </div>
  );
}

/** A labelled choice of a filter bar: `options` as `[value, words]`. */
export function SelectField<T extends string>({
  id,
  label,
  value,
  options,
  onChange,
}: {
  id: string;
  label: string;
  value: T;
  options: readonly (readonly [T, string])[];
  onChange: (value: T) => void;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value as T)}>
        {options.map(([v, words]) => (
          <option key={v} value={v}>
            {words}
          </option>
        ))}
      </select>
    </div>
  );
}
