import { useState } from 'preact/hooks';
import { ApiFailure, call, query, RETRYABLE, type Caller, type ExecutionPage, type ExecutionView } from '../api';
import { JobLink, Notice, Pager, RunLink, SelectField, Status, Time } from '../components';
import { statusText } from '../format';
import { usePoll } from '../poll';

const WINDOWS = [
  { label: 'last hour', ms: 3_600_000 },
  { label: 'last 24 hours', ms: 86_400_000 },
  { label: 'last 7 days', ms: 7 * 86_400_000 },
  { label: 'last 30 days', ms: 30 * 86_400_000 },
] as const;
const PAGE_SIZE = 100;
/** Retries of a selection start one at a time, this far apart: a few a second, well under the API's rate limit. */
const RETRY_PACE_MS = 250;

/**
 * Unsuccessful runs of every job (a service's own) in a window, newest first, with how each was retried since;
 * retry one or several (paced; each through `POST /api/executions/:id/retry`, so audited as the caller).
 */
export function FailuresPage({ caller }: { caller: Caller }) {
  const [windowMs, setWindowMs] = useState<number>(WINDOWS[1].ms);
  const [cursors, setCursors] = useState<string[]>([]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [progress, setProgress] = useState<preact.ComponentChildren>(null);
  const [failure, setFailure] = useState<ApiFailure | null>(null);
  const [busy, setBusy] = useState(false);
  // the window's start moves with time: rounded to the minute, so that a poll's URL stays the same for a minute
  const since = new Date(Math.floor((Date.now() - windowMs) / 60_000) * 60_000).toISOString();
  const path = `/executions${query({
    status: RETRYABLE.join(','),
    service: caller.kind === 'service' ? caller.name : undefined,
    startedAfter: since,
    limit: PAGE_SIZE,
    before: cursors[cursors.length - 1],
  })}`;
  const { data, error, reload } = usePoll(() => call<ExecutionPage>('GET', path), path, {
    keepPrevious: true,
  });
  const admin = caller.kind === 'admin';

  const retryAll = async (runs: ExecutionView[]) => {
    setBusy(true);
    setFailure(null);
    const started: ExecutionView[] = [];
    const refused: string[] = [];
    for (const [i, run] of runs.entries()) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, RETRY_PACE_MS));
      setProgress(`Retrying ${i + 1} of ${runs.length}…`);
      try {
        started.push(
          (await call<{ execution: ExecutionView }>('POST', `/executions/${encodeURIComponent(run.id)}/retry`))
            .execution,
        );
      } catch (err) {
        refused.push(`${run.jobName}: ${err instanceof ApiFailure ? err.message : String(err)}`);
      }
    }
    setProgress(
      <>
        Started {started.length} {started.length === 1 ? 'retry' : 'retries'}
        {started.length > 0 && ': '}
        {started.map((e, i) => (
          <span key={e.id}>
            {i > 0 && ', '}
            <RunLink id={e.id}>{e.jobName}</RunLink>
          </span>
        ))}
        .
      </>,
    );
    if (refused.length) setFailure(new ApiFailure(409, `Not retried: ${refused.join('; ')}`));
    setSelected(new Set());
    setBusy(false);
    reload();
  };

  const runs = data?.executions ?? [];
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };

  return (
    <>
      <h1>Failures</h1>
      <form class="filters" aria-label="Which failures" onSubmit={(e) => e.preventDefault()}>
        <SelectField
          id="failure-window"
          label="Started in the"
          value={String(windowMs)}
          options={WINDOWS.map((w) => [String(w.ms), w.label] as const)}
          onChange={(ms) => {
            setWindowMs(Number(ms));
            setCursors([]);
          }}
        />
        {admin && (
          <button
            type="button"
            disabled={busy || selected.size === 0}
            onClick={() => void retryAll(runs.filter((r) => selected.has(r.id)))}
          >
            Retry {selected.size} selected
          </button>
        )}
      </form>
      <Notice failure={failure ?? error}>{progress}</Notice>
      {data && runs.length === 0 && <p>No failed, timed-out, cancelled or terminated runs in this window.</p>}
      {runs.length > 0 && (
        <table class="cards failures">
          <caption class="visually-hidden">Unsuccessful runs, newest first</caption>
          <thead>
            <tr>
              {admin && <th scope="col">Select</th>}
              <th scope="col">Started</th>
              <th scope="col">Job</th>
              <th scope="col">Status</th>
              <th scope="col">Error</th>
              <th scope="col">Retried since</th>
              {admin && <th scope="col">Action</th>}
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} data-execution={r.id}>
                {admin && (
                  <td data-label="Select">
                    <input
                      type="checkbox"
                      aria-label={`Select the ${statusText(r.status)} run of ${r.jobName} started ${r.startedAt}`}
                      checked={selected.has(r.id)}
                      onChange={() => toggle(r.id)}
                    />
                  </td>
                )}
                <td data-label="Started">
                  <RunLink id={r.id}>
                    <Time at={r.startedAt} />
                  </RunLink>
                </td>
                <td data-label="Job">
                  <JobLink name={r.jobName} />
                </td>
                <td data-label="Status">
                  <Status status={r.status} />
                </td>
                <td data-label="Error" class="error-text">
                  {r.error ?? (r.httpStatus ? `HTTP ${r.httpStatus}` : '—')}
                </td>
                <td data-label="Retried since">
                  {r.retriedBy.length === 0
                    ? 'not retried'
                    : r.retriedBy.map((x) => (
                        <div key={x.id}>
                          <RunLink id={x.id}>retry</RunLink> <Status status={x.status} />
                        </div>
                      ))}
                </td>
                {admin && (
                  <td data-label="Action">
                    <button type="button" disabled={busy} onClick={() => void retryAll([r])}>
                      Retry<span class="visually-hidden"> this run of {r.jobName}</span>
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager
        label="Pages of failures"
        atStart={cursors.length === 0}
        next={data?.nextCursor}
        onFirst={() => setCursors([])}
        onNext={(cursor) => setCursors([...cursors, cursor])}
      />
    </>
  );
}
