import { useState } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import { ApiFailure, call, RETRYABLE, type Caller, type ExecutionView } from '../api';
import { JobLink, Notice, RunLink, Status, TemporalLink, Time } from '../components';
import { formatDuration } from '../format';
import { usePoll } from '../poll';

/** One run: what happened, when, and its retries both ways; Retry for a run that ended unsuccessfully. */
export function ExecutionPage({ id, caller }: { id: string; caller: Caller }) {
  const path = `/executions/${encodeURIComponent(id)}`;
  const polled = usePoll(() => call<{ execution: ExecutionView }>('GET', path), path);
  const [failure, setFailure] = useState<ApiFailure | null>(null);
  const [busy, setBusy] = useState(false);
  const [, navigate] = useLocation();

  if (!polled.data) {
    return (
      <>
        <h1>Run</h1>
        {polled.error ? <Notice failure={polled.error} /> : <p>Loading…</p>}
      </>
    );
  }
  const run = polled.data.execution;
  const lateness = run.scheduledAt !== null ? Date.parse(run.startedAt) - Date.parse(run.scheduledAt) : null;
  /** Sends an admin action (`retry`, `cancel`) and shows the run it answers with. */
  const act = async (action: 'retry' | 'cancel') => {
    setBusy(true);
    setFailure(null);
    try {
      const { execution } = await call<{ execution: ExecutionView }>('POST', `${path}/${action}`);
      if (execution.id !== id) navigate(`/executions/${encodeURIComponent(execution.id)}`);
      else polled.reload();
    } catch (err) {
      setFailure(err instanceof ApiFailure ? err : new ApiFailure(0, String(err)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1>
        Run of <JobLink name={run.jobName} />
      </h1>
      <p class="lead">
        <Status status={run.status} /> <span class="muted">{run.id}</span>
      </p>
      <Notice failure={failure ?? polled.error} />
      {caller.kind === 'admin' && RETRYABLE.includes(run.status) && (
        <p>
          <button type="button" onClick={() => void act('retry')} disabled={busy}>
            Retry
          </button>
        </p>
      )}
      {run.status === 'running' && (
        <RunningBar run={run} onCancel={caller.kind === 'admin' ? () => void act('cancel') : null} busy={busy} />
      )}
      <dl class="facts">
        <dt>Trigger</dt>
        <dd>
          {run.trigger}
          {run.triggeredBy && ` by ${run.triggeredBy}`}
        </dd>
        <dt>Scheduled for</dt>
        <dd>
          <Time at={run.scheduledAt} />
        </dd>
        <dt>Started</dt>
        <dd>
          <Time at={run.startedAt} relative />
          {lateness !== null && <span class="muted"> ({formatDuration(Math.max(lateness, 0))} late)</span>}
        </dd>
        <dt>Completed</dt>
        <dd>
          <Time at={run.completedAt} />
        </dd>
        <dt>Duration</dt>
        <dd>{formatDuration(run.durationMs)}</dd>
        <dt>Attempts</dt>
        <dd>{run.attempts}</dd>
        <dt>HTTP status</dt>
        <dd>{run.httpStatus ?? '—'}</dd>
        <dt>Error</dt>
        <dd>{run.error ? <pre>{run.error}</pre> : '—'}</dd>
        <dt>Response</dt>
        <dd>{run.response ? <pre>{run.response}</pre> : '—'}</dd>
        {run.droppedFields && (
          <>
            <dt>Not stored</dt>
            <dd>{run.droppedFields.join(', ')} (the mirror refused them)</dd>
          </>
        )}
        <dt>Retry of</dt>
        <dd>{run.retryOf ? <RunLink id={run.retryOf} /> : '—'}</dd>
        <dt>Retried by</dt>
        <dd>
          {run.retriedBy.length === 0
            ? '—'
            : run.retriedBy.map((r) => (
                <div key={r.id}>
                  <RunLink id={r.id} /> <Status status={r.status} />
                </div>
              ))}
        </dd>
        <dt>Temporal</dt>
        <dd>
          <TemporalLink url={run.temporal.url}>This run in Temporal Web</TemporalLink>
        </dd>
      </dl>
    </>
  );
}

/**
 * A running run: how long it has gone, its attempt, and for an async job its service's last heartbeat and progress
 * (docs/long-running.md). The bar fills when the progress has a `total` and a count of done (`done`, `sent`,
 * `processed` or `completed`); it is indeterminate otherwise. Cancel for admins.
 */
function RunningBar({ run, onCancel, busy }: { run: ExecutionView; onCancel: (() => void) | null; busy: boolean }) {
  const { call: current } = run;
  const progress = (current?.progress ?? null) as Record<string, unknown> | null;
  const fraction = fractionOf(progress);
  return (
    <section class="running" aria-label="Running">
      <p>
        Running for {formatDuration(Date.now() - Date.parse(run.startedAt))}
        {current &&
          (current.state === 'open'
            ? `, attempt ${current.attempt}`
            : `, waiting to call again (attempt ${current.attempt})`)}
        {current?.lastHeartbeatAt && (
          <>
            {' '}
            · last heartbeat <Time at={current.lastHeartbeatAt} relative />
          </>
        )}
      </p>
      {fraction === null ? <progress /> : <progress value={fraction} max={1} />}
      {progress && <pre>{JSON.stringify(progress, null, 2)}</pre>}
      {current?.lastFailure && <p class="muted">Last failed attempt: {current.lastFailure}</p>}
      {onCancel && (
        <p>
          <button type="button" onClick={onCancel} disabled={busy}>
            Cancel run
          </button>
        </p>
      )}
    </section>
  );
}

const DONE_KEYS = ['done', 'sent', 'processed', 'completed'];

/** done / total of a progress object, within 0..1; null when it says neither. */
function fractionOf(progress: Record<string, unknown> | null): number | null {
  const total = progress?.total;
  const done = DONE_KEYS.map((key) => progress?.[key]).find((v) => typeof v === 'number');
  if (typeof total !== 'number' || typeof done !== 'number' || total <= 0) return null;
  return Math.min(Math.max(done / total, 0), 1);
}
