import { useState } from 'preact/hooks';
import { call, query, type AlertPage, type AlertView, type Caller } from '../api';
import { JobLink, Notice, Pager, SelectField, Time } from '../components';
import { usePoll } from '../poll';

const PAGE_SIZE = 50;

/** One delivery in words: `ops: delivered (200)`, `slack: undeliverable (older than 24h)`, `ops: pending`. */
function deliveryWords(d: AlertView['deliveries'][number]): string {
  const message = d.kind === 'resolved' ? ' (recovery)' : '';
  return `${d.destination}${message}: ${d.status}${d.detail ? ` (${d.detail})` : ''}`;
}

/** Where an episode's messages went: each destination's latest outcome, or that none is configured. */
function Deliveries({ alert }: { alert: AlertView }) {
  if (alert.deliveries.length === 0) return <span class="muted">no destination</span>;
  return (
    <ul class="deliveries">
      {alert.deliveries.map((d) => (
        <li key={`${d.destination} ${d.kind}`} class={`delivery-${d.status}`}>
          {deliveryWords(d)} <Time at={d.at} />
        </li>
      ))}
    </ul>
  );
}

/** A job's open alert episodes (from its view), newest first: the rule in words, the summary, since when, deliveries. */
export function OpenAlerts({ alerts }: { alerts: AlertView[] | undefined }) {
  if (!alerts || alerts.length === 0) return null;
  return (
    <section class="alerts" aria-labelledby="open-alerts">
      <h2 id="open-alerts">Open alerts ({alerts.length})</h2>
      <ul>
        {alerts.map((a) => (
          <li key={a.id} data-alert={a.id}>
            <strong>{a.ruleText}</strong>: {a.summary}{' '}
            <span class="muted">
              since <Time at={a.openedAt} relative />
            </span>
            <Deliveries alert={a} />
          </li>
        ))}
      </ul>
    </section>
  );
}

const STATES = [
  ['open', 'open'],
  ['resolved', 'resolved'],
  ['', 'all'],
] as const;

/** Alert episodes of every job (a service's own), newest opened first, open ones unless asked otherwise. */
export function AlertsPage({ caller }: { caller: Caller }) {
  const [state, setState] = useState<'' | 'open' | 'resolved'>('open');
  const [cursors, setCursors] = useState<string[]>([]);
  const path = `/alerts${query({
    state,
    service: caller.kind === 'service' ? caller.name : undefined,
    limit: PAGE_SIZE,
    before: cursors[cursors.length - 1],
  })}`;
  const { data, error } = usePoll(() => call<AlertPage>('GET', path), path, { keepPrevious: true });
  return (
    <>
      <h1>Alerts</h1>
      <form class="filters" aria-label="Filter alerts" onSubmit={(e) => e.preventDefault()}>
        <SelectField
          id="alert-state"
          label="State"
          value={state}
          options={STATES}
          onChange={(value) => {
            setState(value);
            setCursors([]);
          }}
        />
      </form>
      <Notice failure={error} />
      {data && data.alerts.length === 0 && <p>No {state || ''} alerts.</p>}
      {data && data.alerts.length > 0 && (
        <table class="cards alert-list">
          <caption class="visually-hidden">Alerts, newest opened first</caption>
          <thead>
            <tr>
              <th scope="col">Opened</th>
              <th scope="col">Job</th>
              <th scope="col">Rule</th>
              <th scope="col">State</th>
              <th scope="col">Summary</th>
              <th scope="col">Deliveries</th>
            </tr>
          </thead>
          <tbody>
            {data.alerts.map((a) => (
              <tr key={a.id} data-alert={a.id}>
                <td data-label="Opened">
                  <Time at={a.openedAt} relative />
                </td>
                <td data-label="Job">
                  <JobLink name={a.jobName} />
                </td>
                <td data-label="Rule">{a.ruleText}</td>
                <td data-label="State">
                  {a.state === 'open' ? (
                    'open'
                  ) : (
                    <>
                      resolved <Time at={a.resolvedAt} />
                    </>
                  )}
                </td>
                <td data-label="Summary">{a.summary}</td>
                <td data-label="Deliveries">
                  <Deliveries alert={a} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager
        label="Pages of alerts"
        atStart={cursors.length === 0}
        next={data?.nextCursor}
        onFirst={() => setCursors([])}
        onNext={(cursor) => setCursors([...cursors, cursor])}
      />
    </>
  );
}
