import type { Alert } from './alert';
import {
  advance,
  applyWatchEvent,
  initialWatchState,
  nextWakeAt,
  openEpisodes,
  type EffectiveAlertRules,
  type WatchEvent,
  type WatchState,
  type WatchedRun,
} from './alert-watch';

const T0 = Date.parse('2026-11-30T08:00:00Z');
const S = 1000;
const iso = (ms: number) => new Date(ms).toISOString();
const OFF: EffectiveAlertRules = {
  onFailure: false,
  consecutiveFailures: null,
  noSuccessWithinSeconds: null,
  runningLongerThanSeconds: null,
  onSkipped: false,
  onMissed: false,
  dampingSeconds: 600,
};
const job = { name: 'digest', service: 'email-service' };

let n = 0;
const ended = (at: number, status: WatchedRun['status'], startedAt = at - S): WatchEvent => ({
  type: 'run',
  run: {
    executionId: `run-${++n}`,
    trigger: 'schedule',
    status,
    scheduledAt: iso(startedAt),
    startedAt: iso(startedAt),
    completedAt: iso(at),
    error: status === 'succeeded' ? null : 'HTTP 500',
    httpStatus: status === 'succeeded' ? 200 : 500,
  },
});

const runOf = (event: WatchEvent): WatchedRun => {
  if (event.type !== 'run') throw new Error('not a run event');
  return event.run;
};

/** Feeds events in order (each at its time), then lets time pass to `until`; answers every message sent. */
function play(rules: Partial<EffectiveAlertRules>, events: [number, WatchEvent][], until: number) {
  let state: WatchState = initialWatchState(job, { ...OFF, ...rules }, T0);
  const sent: (Alert & { at: number })[] = [];
  const take = ([next, messages]: [WatchState, Alert[]], at: number) => {
    state = next;
    sent.push(...messages.map((m) => ({ ...m, at })));
  };
  let now = T0;
  const wakeUntil = (limit: number) => {
    for (let wake = nextWakeAt(state, now); wake !== null && wake <= limit; wake = nextWakeAt(state, now)) {
      now = wake;
      take(advance(state, wake), wake);
    }
  };
  for (const [at, event] of events) {
    wakeUntil(at);
    now = at;
    take(applyWatchEvent(state, event, at), at);
  }
  wakeUntil(until);
  return { sent, state };
}

const kinds = (sent: Alert[]) => sent.map((m) => `${m.rule.type} ${m.kind}`);

describe('alert rules, as the watch decides them', () => {
  test('a thousand failures in a burst are one alert; the success after them one recovery', () => {
    const burst: [number, WatchEvent][] = Array.from({ length: 1000 }, (_, i) => [
      T0 + i * 100,
      ended(T0 + i * 100, 'failed'),
    ]);
    const { sent } = play(
      { onFailure: true },
      [...burst, [T0 + 200 * S, ended(T0 + 200 * S, 'succeeded')]],
      T0 + 3600 * S,
    );
    expect(kinds(sent)).toEqual(['run_failed firing', 'run_failed resolved']);
    expect(sent[0]!.runs.map((r) => r.executionId)).toHaveLength(1); // told at once, with the run that opened it
    expect(sent[1]!.runs).toHaveLength(5); // the recovery carries the newest few of the storm
    expect(sent[0]!.id).toBe(sent[1]!.id); // one episode
    // the recovery waits for the damping window that the firing opened
    expect(sent[1]!.at).toBe(sent[0]!.at + 600 * S);
  });

  test('ten failures in a row with a threshold of three: one alert, when the third ends', () => {
    const events: [number, WatchEvent][] = Array.from({ length: 10 }, (_, i) => [
      T0 + i * 60 * S,
      ended(T0 + i * 60 * S, 'failed'),
    ]);
    const { sent } = play({ consecutiveFailures: 3 }, events, T0 + 3600 * S);
    expect(kinds(sent)).toEqual(['consecutive_failures firing']);
    expect(sent[0]!.at).toBe(T0 + 120 * S);
    expect(sent[0]!.runs.map((r) => r.executionId)).toHaveLength(3);
  });

  test('no success within a duration: fires when it passes with no run at all, recovers on a success', () => {
    const { sent } = play(
      { noSuccessWithinSeconds: 3600 },
      [[T0 + 5000 * S, ended(T0 + 5000 * S, 'succeeded')]],
      T0 + 20_000 * S,
    );
    expect(sent.map((m) => [m.rule.type, m.kind, m.at])).toEqual([
      ['no_success_within', 'firing', T0 + 3600 * S],
      ['no_success_within', 'resolved', T0 + 5000 * S],
      // counted again from the success: nothing since
      ['no_success_within', 'firing', T0 + 8600 * S],
    ]);
  });

  test('failing runs do not reset the dead-man switch; the alert carries them', () => {
    const events: [number, WatchEvent][] = [1000, 2000, 3000].map((t) => [T0 + t * S, ended(T0 + t * S, 'timed_out')]);
    const { sent } = play({ noSuccessWithinSeconds: 3600 }, events, T0 + 3600 * S);
    expect(kinds(sent)).toEqual(['no_success_within firing']);
    expect(sent[0]!.runs.map((r) => r.status)).toEqual(['timed_out', 'timed_out', 'timed_out']);
  });

  test('a run still going past its limit alerts while it runs, and recovers when it ends', () => {
    const run: WatchedRun = { ...runOf(ended(T0, 'running')), startedAt: iso(T0), completedAt: null };
    const started: WatchEvent = { type: 'run', run };
    const id = run.executionId;
    const end: WatchEvent = { type: 'run', run: { ...run, status: 'succeeded', completedAt: iso(T0 + 2000 * S) } };
    const { sent } = play(
      { runningLongerThanSeconds: 900 },
      [
        [T0, started],
        [T0 + 2000 * S, end],
      ],
      T0 + 5000 * S,
    );
    expect(sent.map((m) => [m.rule.type, m.kind, m.at])).toEqual([
      ['running_too_long', 'firing', T0 + 900 * S],
      ['running_too_long', 'resolved', T0 + 2000 * S],
    ]);
    expect(sent[0]!.runs.map((r) => r.executionId)).toEqual([id]);
  });

  test('a flapping job is damped: one alert, and one recovery once it has settled', () => {
    // fails and succeeds in turn every minute for half an hour, then keeps succeeding
    const events: [number, WatchEvent][] = Array.from({ length: 30 }, (_, i) => [
      T0 + i * 60 * S,
      ended(T0 + i * 60 * S, i % 2 === 0 ? 'failed' : 'succeeded'),
    ]);
    events.push([T0 + 31 * 60 * S, ended(T0 + 31 * 60 * S, 'succeeded')]);
    const { sent } = play({ onFailure: true }, events, T0 + 7200 * S);
    expect(kinds(sent)).toEqual(['run_failed firing', 'run_failed resolved']);
    expect(new Set(sent.map((m) => m.id)).size).toBe(1);
    // told once it has stayed quiet for a damping window after the last failure (minute 28)
    expect(sent[1]!.at).toBe(T0 + (29 * 60 + 600) * S);
  });

  test('skipped and missed occurrences alert when Temporal counts more of them; the first reading is the baseline', () => {
    const { sent } = play(
      { onSkipped: true, onMissed: true, dampingSeconds: 60 },
      [
        [T0, { type: 'counters', skipped: 4, missed: 2 }],
        [T0 + 10 * S, { type: 'counters', skipped: 4, missed: 2 }],
        [T0 + 20 * S, { type: 'counters', skipped: 4, missed: 7 }],
        [T0 + 300 * S, ended(T0 + 300 * S, 'succeeded')],
      ],
      T0 + 3600 * S,
    );
    expect(sent.map((m) => [m.rule.type, m.kind, m.at])).toEqual([
      ['occurrences_missed', 'firing', T0 + 20 * S],
      ['occurrences_missed', 'resolved', T0 + 300 * S],
    ]);
  });

  test('turning a rule off closes its open episode; the open episodes are listed', () => {
    let { state } = play({ onFailure: true, dampingSeconds: 0 }, [[T0, ended(T0, 'failed')]], T0);
    expect(openEpisodes(state).map((e) => e.rule.type)).toEqual(['run_failed']);
    const [next, messages] = applyWatchEvent(state, { type: 'rules', rules: { ...OFF, dampingSeconds: 0 } }, T0 + S);
    state = next;
    expect(kinds(messages)).toEqual(['run_failed resolved']);
    expect(openEpisodes(state)).toEqual([]);
    expect(nextWakeAt(state, T0 + S)).toBeNull();
  });

  test('a success the mirror shows closes the episodes it answers and moves the dead-man deadline', () => {
    const health = (lastSuccessAt: number | null): WatchEvent => ({
      type: 'health',
      lastSuccessAt: lastSuccessAt === null ? null : iso(lastSuccessAt),
      running: [],
    });
    const { sent, state } = play(
      { onFailure: true, noSuccessWithinSeconds: 3600 },
      [
        [T0 + 100 * S, ended(T0 + 100 * S, 'failed')],
        [T0 + 200 * S, health(T0 + 150 * S)],
        [T0 + 300 * S, health(T0 + 150 * S)], // the same success again: nothing new
      ],
      T0 + 3000 * S,
    );
    expect(sent.map((m) => [m.rule.type, m.kind, m.at])).toEqual([
      ['run_failed', 'firing', T0 + 100 * S],
      ['run_failed', 'resolved', T0 + 700 * S],
    ]);
    expect(nextWakeAt(state, T0 + 3000 * S)).toBe(T0 + (150 + 3600) * S);
  });

  test('the runs going that the mirror shows are kept only while a rule times them', () => {
    const going = (startedAt: number): WatchedRun => ({
      ...runOf(ended(startedAt, 'running', startedAt)),
      completedAt: null,
    });
    const health: WatchEvent = { type: 'health', lastSuccessAt: null, running: [going(T0), going(T0 + S)] };
    const untimed = play({ onFailure: true }, [[T0 + 2 * S, health]], T0 + 2 * S).state;
    expect(untimed.running).toEqual({});
    const timed = play({ runningLongerThanSeconds: 60 }, [[T0 + 2 * S, health]], T0 + 2 * S).state;
    expect(Object.keys(timed.running)).toHaveLength(2);
    expect(nextWakeAt(timed, T0 + 2 * S)).toBe(T0 + 60 * S);
  });

  test('a run ended twice (its end row written twice) counts once', () => {
    const twice = ended(T0, 'failed');
    const { sent } = play(
      { consecutiveFailures: 2 },
      [
        [T0, twice],
        [T0 + S, twice],
      ],
      T0 + 10 * S,
    );
    expect(sent).toEqual([]);
  });

  test('counters the reconciler found grown alert a watch that has seen none, against the reading before them', () => {
    const { sent } = play(
      { onMissed: true },
      [[T0, { type: 'counters', skipped: 0, missed: 9, previous: { skipped: 0, missed: 4 } }]],
      T0 + 60 * S,
    );
    expect(kinds(sent)).toEqual(['occurrences_missed firing']);
  });

  test('times the ledger cannot explain open one episode; a look that finds none opens nothing', () => {
    const { sent } = play(
      { dampingSeconds: 60 },
      [
        [T0, { type: 'unexplained', times: [] }],
        [T0 + 3600 * S, { type: 'unexplained', times: [iso(T0 + 1800 * S)] }],
        [T0 + 7200 * S, { type: 'unexplained', times: [iso(T0 + 5400 * S)] }],
      ],
      T0 + 9000 * S,
    );
    expect(kinds(sent)).toEqual(['unexplained_occurrence firing']);
  });
});
