import { useState } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import {
  ApiFailure,
  call,
  query,
  STATUSES,
  type Caller,
  type ExecutionPage,
  type ExecutionView,
  type JobDetailView,
  type JobView,
  type Ledger,
} from '../api';
import { DurationChart } from '../chart';
import { InputField, Notice, Pager, RunLink, SelectField, Status, TemporalLink, Time } from '../components';
import { alertRulesInWords, formatDuration, statusText, successRate, toLocalInput } from '../format';
import { LedgerStrip } from '../ledger';
import { usePoll } from '../poll';
import { OpenAlerts } from './alerts';
import { PausedBadge } from './jobs';

const RUNS_PAGE_SIZE = 50;
/** The ledger's strip changes by the minute at most: it is asked for less often than the job and its runs. */
const LEDGER_POLL_MS = 30_000;

/**
 * One job: its open alerts, definition, counters, its last day's occurrences by fate, durations, next runs, runs, and
 * (for admins) its actions.
 */
export function JobPage({ name, caller }: { name: string; caller: Caller }) {
  const jobPath = `/jobs/${encodeURIComponent(name)}`;
  const job = usePoll(() => call<{ job: JobDetailView }>('GET', jobPath), jobPath);
  const [filters, setFilters] = useState({ status: '', from: '', to: '' });
  const [cursors, setCursors] = useState<string[]>([]);
  const runsPath = `${jobPath}/executions${query({
    status: filters.status,
    startedAfter: filters.from && new Date(filters.from).toISOString(),
    startedBefore: filters.to && new Date(filters.to).toISOString(),
    limit: RUNS_PAGE_SIZE,
    before: cursors[cursors.length - 1],
  })}`;
  const runs = usePoll(() => call<ExecutionPage>('GET', runsPath), runsPath, { keepPrevious: true });
  // the API's default window: the last 24 hours up to now, so the key stays while the window moves
  const ledgerPath = `${jobPath}/occurrences`;
  const ledger = usePoll(() => call<Ledger>('GET', ledgerPath), ledgerPath, { everyMs: LEDGER_POLL_MS });
  const reload = () => {
    job.reload();
    runs.reload();
    ledger.reload();
  };
  const setFilter = (change: Partial<typeof filters>) => {
    setFilters({ ...filters, ...change });
    setCursors([]);
  };

  if (!job.data) {
    return (
      <>
        <h1>{name}</h1>
        {job.error ? <Notice failure={job.error} /> : <p>Loading…</p>}
      </>
    );
  }
  const j = job.data.job;
  return (
    <>
      <h1>{j.name}</h1>
      <p class="lead">
        {j.description || 'No description.'} <span class="muted">Service {j.service}.</span>
      </p>
      {j.paused && <PausedBadge note={j.pauseNote} />}
      <PauseHistory changes={j.pauseHistory} />
      <Notice failure={job.error} />
      <OpenAlerts alerts={j.openAlerts} />
      <p>
        <TemporalLink url={j.temporal.url}>Its schedule in Temporal Web</TemporalLink>
      </p>
      {caller.kind === 'admin' && <JobActions job={j} onDone={reload} />}

      <div class="columns">
        <section aria-labelledby="definition">
          <h2 id="definition">Definition</h2>
          <dl class="facts">
            <dt>Schedule</dt>
            <dd>
              {j.schedule} <code>{j.cron}</code> ({j.timezone})
            </dd>
            <dt>Endpoint</dt>
            <dd>
              <code>
                {j.method} {j.endpoint}
              </code>
            </dd>
            <dt>Timeout</dt>
            <dd>{j.timeoutSeconds} s</dd>
            <dt>Retries</dt>
            <dd>
              up to {j.retry.maxAttempts} attempts, every {j.retry.initialIntervalSeconds} s ×{' '}
              {j.retry.backoffCoefficient}, at most {j.retry.maxIntervalSeconds} s apart
            </dd>
            <dt>Overlap</dt>
            <dd>{j.overlap}</dd>
            <dt>Catch-up window</dt>
            <dd>{j.catchupWindowSeconds} s</dd>
            <dt>Jitter</dt>
            <dd>{j.jitterSeconds} s</dd>
            <dt>Spread</dt>
            <dd>
              {j.spreadSeconds > 0
                ? `${j.spreadOffsetSeconds} s after each time (spreadSeconds ${j.spreadSeconds})`
                : 'none: fires at the times its cron names'}
            </dd>
            <dt>Payload</dt>
            <dd>
              <pre>{JSON.stringify(j.payload, null, 2)}</pre>
            </dd>
          </dl>
          <AlertRules job={j} />
        </section>
        <section aria-labelledby="counters">
          <h2 id="counters">Counters</h2>
          <dl class="facts counters">
            <dt>Runs</dt>
            <dd>{j.stats.totalRuns}</dd>
            <dt>Succeeded</dt>
            <dd>{j.stats.successfulRuns}</dd>
            <dt>Failed</dt>
            <dd>{j.stats.failedRuns}</dd>
            <dt>Success rate</dt>
            <dd>{successRate(j.stats.successfulRuns, j.stats.failedRuns)}</dd>
            <dt>Skipped (overlap)</dt>
            <dd>{j.stats.skipped}</dd>
            <dt>Missed</dt>
            <dd>{j.stats.missed}</dd>
            <dt>Last success</dt>
            <dd>
              <Time at={j.lastSuccessAt} relative />
            </dd>
            <dt>Last failure</dt>
            <dd>
              <Time at={j.lastFailureAt} relative />
            </dd>
          </dl>
          <h2 id="next-runs">Next runs</h2>
          {j.paused || j.nextRunTimes.length === 0 ? (
            <p class="muted">None while paused.</p>
          ) : (
            <ol class="next-runs" aria-labelledby="next-runs">
              {j.nextRunTimes.map((t) => (
                <li key={t}>
                  <Time at={t} relative />
                </li>
              ))}
            </ol>
          )}
        </section>
      </div>

      <section aria-labelledby="occurrences">
        <h2 id="occurrences">Last 24 hours, by occurrence</h2>
        <Notice failure={ledger.error} />
        {ledger.data ? <LedgerStrip ledger={ledger.data} /> : !ledger.error && <p>Loading…</p>}
      </section>

      <section aria-labelledby="runs">
        <h2 id="runs">Runs</h2>
        {runs.data && <DurationChart runs={runs.data.executions} p50={j.durations.p50Ms} p95={j.durations.p95Ms} />}
        <form class="filters" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
          <SelectField
            id="run-status"
            label="Status"
            value={filters.status}
            options={[['', 'all'], ...STATUSES.map((st) => [st, statusText(st)] as const)]}
            onChange={(status) => setFilter({ status })}
          />
          <InputField
            id="run-from"
            label="Started after (your time)"
            type="datetime-local"
            value={filters.from}
            onChange={(from) => setFilter({ from })}
          />
          <InputField
            id="run-to"
            label="Started before (your time)"
            type="datetime-local"
            value={filters.to}
            onChange={(to) => setFilter({ to })}
          />
        </form>
        <Notice failure={runs.error} />
        {runs.data && <RunsTable runs={runs.data.executions} />}
        <Pager
          label="Pages of runs"
          atStart={cursors.length === 0}
          next={runs.data?.nextCursor}
          onFirst={() => setCursors([])}
          onNext={(cursor) => setCursors([...cursors, cursor])}
        />
      </section>
    </>
  );
}

/** Runs, newest first, each linking to its page. */
function RunsTable({ runs, showJob = false }: { runs: ExecutionView[]; showJob?: boolean }) {
  if (runs.length === 0) return <p>No runs match.</p>;
  return (
    <table class="cards runs">
      <caption class="visually-hidden">Runs, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Started</th>
          {showJob && <th scope="col">Job</th>}
          <th scope="col">Status</th>
          <th scope="col">Trigger</th>
          <th scope="col">Duration</th>
          <th scope="col">HTTP</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.id} data-execution={r.id}>
            <td data-label="Started">
              <RunLink id={r.id}>
                <Time at={r.startedAt} />
              </RunLink>
            </td>
            {showJob && <td data-label="Job">{r.jobName}</td>}
            <td data-label="Status">
              <Status status={r.status} />
            </td>
            <td data-label="Trigger">
              {r.trigger}
              {r.triggeredBy && <span class="muted"> by {r.triggeredBy}</span>}
            </td>
            <td data-label="Duration">{formatDuration(r.durationMs)}</td>
            <td data-label="HTTP">{r.httpStatus ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The job's latest pauses and resumes, newest first, folded: when, which, who and the note. Nothing when none. */
function PauseHistory({ changes }: { changes: JobDetailView['pauseHistory'] }) {
  if (changes.length === 0) return null;
  return (
    <details class="pause-history">
      <summary>Pauses and resumes ({changes.length})</summary>
      <ul>
        {changes.map((c) => (
          <li key={`${c.at} ${c.paused}`}>
            <Time at={c.at} /> {c.paused ? 'Paused' : 'Running again'}
            {c.by && ` by ${c.by}`}
            {c.note && <span class="note"> {c.note}</span>}
          </li>
        ))}
      </ul>
    </details>
  );
}

/** Run now (with an optional payload), pause or resume with a note, backfill a range, delete. Admins only. */
function JobActions({ job, onDone }: { job: JobView; onDone: () => void }) {
  const [failure, setFailure] = useState<ApiFailure | null>(null);
  const [result, setResult] = useState<preact.ComponentChildren>(null);
  const [busy, setBusy] = useState(false);
  const [payload, setPayload] = useState('');
  const [note, setNote] = useState('');
  const now = new Date();
  const [range, setRange] = useState({
    from: toLocalInput(new Date(now.getTime() - 86_400_000)),
    to: toLocalInput(now),
  });
  const [confirm, setConfirm] = useState('');
  const [, navigate] = useLocation();
  const path = `/jobs/${encodeURIComponent(job.name)}`;

  const act = async (work: () => Promise<preact.ComponentChildren>) => {
    setBusy(true);
    setFailure(null);
    setResult(null);
    try {
      setResult(await work());
      onDone();
    } catch (err) {
      setFailure(err instanceof ApiFailure ? err : new ApiFailure(0, String(err)));
    } finally {
      setBusy(false);
    }
  };

  const runNow = () =>
    act(async () => {
      let body: { payload?: Record<string, unknown> } = {};
      if (payload.trim()) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(payload);
        } catch (err) {
          throw new ApiFailure(400, `The payload is not JSON: ${(err as Error).message}`, 'payload');
        }
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
          throw new ApiFailure(400, 'The payload must be a JSON object, like {"key": "value"}.', 'payload');
        }
        body = { payload: parsed as Record<string, unknown> };
      }
      const { execution } = await call<{ execution: ExecutionView }>('POST', `${path}/trigger`, body);
      return (
        <>
          Started a run: <RunLink id={execution.id} />.
        </>
      );
    });

  const pauseOrResume = () =>
    act(async () => {
      const action = job.paused ? 'resume' : 'pause';
      await call('POST', `${path}/${action}`, note.trim() ? { note: note.trim() } : {});
      setNote('');
      return job.paused ? 'Resumed.' : 'Paused.';
    });

  const backfill = () =>
    act(async () => {
      if (!range.from || !range.to) throw new ApiFailure(400, 'Give both ends of the range.');
      const reply = await call<{ executions: ExecutionView[]; skipped: unknown[] }>('POST', `${path}/backfill`, {
        from: new Date(range.from).toISOString(),
        to: new Date(range.to).toISOString(),
      });
      const n = reply.executions.length;
      return `Backfill started ${n} run${n === 1 ? '' : 's'}; ${reply.skipped.length} already ran and were skipped.`;
    });

  const remove = () =>
    act(async () => {
      await call('DELETE', path);
      navigate('/');
      return 'Deleted.';
    });

  return (
    <section class="actions" aria-labelledby="actions">
      <h2 id="actions">Actions</h2>
      <Notice failure={failure}>{result}</Notice>
      <div class="action-grid">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void runNow();
          }}
        >
          <h3>Run now</h3>
          <label for="payload">Payload for this run (JSON object; empty: the registered one)</label>
          <textarea
            id="payload"
            rows={3}
            spellcheck={false}
            placeholder={JSON.stringify(job.payload)}
            value={payload}
            onInput={(e) => setPayload(e.currentTarget.value)}
          />
          <button type="submit" disabled={busy}>
            Run now
          </button>
        </form>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void pauseOrResume();
          }}
        >
          <h3>{job.paused ? 'Resume' : 'Pause'}</h3>
          <label for="note">Note (why; shown with the job)</label>
          <input id="note" type="text" maxLength={500} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          <button type="submit" disabled={busy}>
            {job.paused ? 'Resume' : 'Pause'}
          </button>
        </form>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void backfill();
          }}
        >
          <h3>Backfill</h3>
          <label for="backfill-from">From (your time)</label>
          <input
            id="backfill-from"
            type="datetime-local"
            value={range.from}
            onInput={(e) => setRange({ ...range, from: e.currentTarget.value })}
          />
          <label for="backfill-to">To (your time)</label>
          <input
            id="backfill-to"
            type="datetime-local"
            value={range.to}
            onInput={(e) => setRange({ ...range, to: e.currentTarget.value })}
          />
          <button type="submit" disabled={busy}>
            Backfill
          </button>
        </form>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (confirm === job.name) void remove();
          }}
        >
          <h3>Delete</h3>
          <label for="confirm-delete">Type the job's name to delete it and its schedule</label>
          <input
            id="confirm-delete"
            type="text"
            autoComplete="off"
            value={confirm}
            onInput={(e) => setConfirm(e.currentTarget.value)}
          />
          <button type="submit" class="danger" disabled={busy || confirm !== job.name}>
            Delete
          </button>
        </form>
      </div>
    </section>
  );
}

/** The job's alert rules in effect, in words (docs/alerts.md#rules). */
function AlertRules({ job }: { job: JobView }) {
  const words = alertRulesInWords(job.alerts);
  return (
    <section aria-labelledby="alert-rules">
      <h2 id="alert-rules">Alert rules</h2>
      <p>
        {words.when} {words.to} <span class="muted">{words.damping}</span>
      </p>
    </section>
  );
}
