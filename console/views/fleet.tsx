import { call, query, type Caller, type FleetFires } from '../api';
import { FleetChart } from '../chart';
import { JobLink, Notice, Time } from '../components';
import { usePoll } from '../poll';

/** The fleet view is read again this often: the next hour changes slowly, and a read covers every job. */
const FLEET_POLL_MS = 30_000;

/**
 * The next hour of the fleet (a service: its own jobs): how many jobs fire in each second (the busiest second of
 * each minute, charted), and the herds, the seconds in which more jobs fire than Temporal starts in one second, each
 * with its jobs and what to do about it (docs/herds.md).
 */
export function FleetPage({ caller }: { caller: Caller }) {
  const path = `/fleet/fires${query({ service: caller.kind === 'service' ? caller.name : undefined })}`;
  const { data, error } = usePoll(() => call<FleetFires>('GET', path), path, { everyMs: FLEET_POLL_MS });
  return (
    <>
      <h1>Fleet</h1>
      <Notice failure={error} />
      {data && (
        <>
          <p>
            {data.jobs} job{data.jobs === 1 ? '' : 's'} fire {data.totalFires} time{data.totalFires === 1 ? '' : 's'}{' '}
            from <Time at={data.from} /> to <Time at={data.to} />. Temporal starts at most {data.startRate} scheduled
            runs a second; more jobs due in one second start late, in turn.
            {data.unplanned > 0 && ` ${data.unplanned} job(s) with a cron no longer accepted are not counted.`}
          </p>
          <FleetChart fleet={data} />
          <Herds fleet={data} />
        </>
      )}
    </>
  );
}

/** The herds of the window, with their jobs and the remedy. */
function Herds({ fleet }: { fleet: FleetFires }) {
  const { herds } = fleet;
  return (
    <section aria-labelledby="herds">
      <h2 id="herds">Herds ({herds.length})</h2>
      {herds.length === 0 ? (
        <p>No herd: no second has more fires than Temporal starts in one ({fleet.startRate}).</p>
      ) : (
        <>
          <p>
            Set <code>spreadSeconds</code> (up to 59) on these jobs: each then fires at its own fixed second after the
            time its cron names, derived from its name, and the herd spreads over the minute (see docs/herds.md).
          </p>
          <table class="cards herd-list">
            <caption class="visually-hidden">Seconds with more fires than the start rate, in time order</caption>
            <thead>
              <tr>
                <th scope="col">Second</th>
                <th scope="col">Fires</th>
                <th scope="col">Last start</th>
                <th scope="col">Jobs</th>
              </tr>
            </thead>
            <tbody>
              {herds.map((h) => (
                <tr key={h.at} data-herd={h.at}>
                  <td data-label="Second">
                    <Time at={h.at} relative />
                  </td>
                  <td data-label="Fires">{h.count}</td>
                  <td data-label="Last start">up to {h.expectedDelaySeconds} s late</td>
                  <td data-label="Jobs">
                    <ul class="herd-jobs">
                      {h.jobs.map((name) => (
                        <li key={name}>
                          <JobLink name={name} />
                        </li>
                      ))}
                      {h.more > 0 && <li class="muted">and {h.more} more</li>}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
