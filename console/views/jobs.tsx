import { useEffect, useState } from 'preact/hooks';
import { call, query, type Caller, type JobPage, type JobView } from '../api';
import { InputField, JobLink, Notice, Pager, RunStrip, SelectField, Time } from '../components';
import { successRate } from '../format';
import { usePoll } from '../poll';

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 300;

interface Filters {
  q: string;
  service: string;
  paused: '' | 'true' | 'false';
  failing: '' | 'true' | 'false';
}

/** Every job a page at a time (the API's `after` cursor), searched and filtered on the server. */
export function JobsPage({ caller }: { caller: Caller }) {
  const [filters, setFilters] = useState<Filters>({ q: '', service: '', paused: '', failing: '' });
  const [draft, setDraft] = useState(''); // the search as typed; asked for once typing pauses
  useEffect(() => {
    const timer = setTimeout(() => draft !== filters.q && update({ q: draft }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [draft]);
  const [cursors, setCursors] = useState<string[]>([]); // the `after` of each page shown before this one
  const after = cursors[cursors.length - 1];
  // a service lists its own jobs only, by naming itself
  const service = caller.kind === 'service' ? caller.name : filters.service.trim();
  const path = `/jobs${query({
    q: filters.q.trim(),
    service,
    paused: filters.paused,
    failing: filters.failing,
    limit: PAGE_SIZE,
    after,
  })}`;
  const { data, error } = usePoll(() => call<JobPage>('GET', path), path, { keepPrevious: true });
  const update = (change: Partial<Filters>) => {
    setFilters({ ...filters, ...change });
    setCursors([]);
  };

  return (
    <>
      <h1>Jobs</h1>
      <form class="filters" role="search" aria-label="Find jobs" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="job-search">Name contains</label>
          <input id="job-search" type="search" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
        </div>
        {caller.kind === 'admin' && (
          <InputField
            id="job-service"
            label="Service"
            value={filters.service}
            onChange={(service) => update({ service })}
          />
        )}
        <SelectField
          id="job-paused"
          label="Paused"
          value={filters.paused}
          options={[
            ['', 'all'],
            ['true', 'paused only'],
            ['false', 'running only'],
          ]}
          onChange={(paused) => update({ paused })}
        />
        <SelectField
          id="job-failing"
          label="Failing"
          value={filters.failing}
          options={[
            ['', 'all'],
            ['true', 'last run failed'],
            ['false', 'last run fine'],
          ]}
          onChange={(failing) => update({ failing })}
        />
      </form>
      <Notice failure={error} />
      {data && data.jobs.length === 0 && <p>No jobs match.</p>}
      {data && data.jobs.length > 0 && (
        <table class="cards jobs">
          <caption class="visually-hidden">Jobs, by name</caption>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Schedule</th>
              <th scope="col">Next run</th>
              <th scope="col">Last runs</th>
              <th scope="col">Success</th>
              <th scope="col">Last success / failure</th>
            </tr>
          </thead>
          <tbody>
            {data.jobs.map((job) => (
              <JobRow key={job.name} job={job} />
            ))}
          </tbody>
        </table>
      )}
      <Pager
        label="Pages of jobs"
        atStart={cursors.length === 0}
        next={data?.nextCursor}
        onFirst={() => setCursors([])}
        onNext={(cursor) => setCursors([...cursors, cursor])}
      />
    </>
  );
}

function JobRow({ job }: { job: JobView }) {
  return (
    <tr data-job={job.name}>
      <td data-label="Job">
        <strong>
          <JobLink name={job.name} />
        </strong>
        <div class="muted">{job.service}</div>
        {job.paused && <PausedBadge note={job.pauseNote} />}
      </td>
      <td data-label="Schedule">
        {job.schedule}
        <div class="muted">
          <code>{job.cron}</code> · {job.timezone}
        </div>
      </td>
      <td data-label="Next run">
        {job.paused ? <span class="muted">paused</span> : <Time at={job.nextRunTimes[0]} relative />}
      </td>
      <td data-label="Last runs">
        <RunStrip runs={job.recentRuns} />
      </td>
      <td data-label="Success">
        {successRate(job.stats.successfulRuns, job.stats.failedRuns)}
        <div class="muted">
          {job.stats.totalRuns} run{job.stats.totalRuns === 1 ? '' : 's'}
        </div>
      </td>
      <td data-label="Last success / failure">
        <div>
          <span class="muted">success </span>
          <Time at={job.lastSuccessAt} />
        </div>
        <div>
          <span class="muted">failure </span>
          <Time at={job.lastFailureAt} />
          {job.consecutiveFailures > 1 && <span class="muted"> ({job.consecutiveFailures} in a row)</span>}
        </div>
      </td>
    </tr>
  );
}

/** "Paused", with the note given when it was paused. */
export const PausedBadge = ({ note }: { note: string | null }) => (
  <div class="paused">
    <span class="badge">Paused</span>
    {note && <span class="note"> {note}</span>}
  </div>
);
