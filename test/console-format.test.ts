import { alertRulesInWords, durationInWords, formatRelative } from '../console/format';

describe('relative times (next run, last success)', () => {
  const now = Date.parse('2026-11-28T22:00:00Z'); // a Saturday evening
  const at = (hours: number) => new Date(now + hours * 3_600_000).toISOString();

  test('in the largest unit reached, always as a number: never a calendar word that names the wrong day', () => {
    expect(formatRelative(at(35), now)).toBe('in 1 day'); // Monday 09:00: not "tomorrow"
    expect(formatRelative(at(-30), now)).toBe('1 day ago');
    expect(formatRelative(at(1), now)).toBe('in 1 hour');
    expect(formatRelative(at(0.75), now)).toBe('in 45 minutes');
    expect(formatRelative(at(-1 / 3600), now)).toBe('1 second ago');
    expect(formatRelative(at(0), now)).toBe('in 0 seconds');
  });
});

describe('alert rules in words (the job page)', () => {
  const rules = {
    onFailure: true,
    consecutiveFailures: 3,
    noSuccessWithinSeconds: 2 * 86_400,
    noSuccessWithinDerived: true,
    runningLongerThanSeconds: null,
    onSkipped: false,
    onMissed: false,
    dampingSeconds: 600,
    destinations: ['ops-slack'],
  };

  test('each rule on, in a sentence, with where the alerts go', () => {
    expect(alertRulesInWords(rules)).toEqual({
      when: 'Alerts when a run fails; after 3 failures in a row; when no run succeeds for 2 days (from the schedule).',
      to: 'To: ops-slack.',
      damping: 'At most one message per rule every 10 minutes.',
    });
    const all = {
      ...rules,
      noSuccessWithinDerived: false,
      runningLongerThanSeconds: 1800,
      onSkipped: true,
      onMissed: true,
    };
    expect(alertRulesInWords(all).when).toBe(
      'Alerts when a run fails; after 3 failures in a row; when no run succeeds for 2 days; while a run goes on past 30 minutes; when occurrences are skipped (overlap); when occurrences are missed.',
    );
  });

  test('every rule off, no destination, no damping', () => {
    const none = {
      ...rules,
      onFailure: false,
      consecutiveFailures: null,
      noSuccessWithinSeconds: null,
      dampingSeconds: 0,
      destinations: [],
    };
    expect(alertRulesInWords(none)).toEqual({
      when: 'No alert rule is on.',
      to: 'To: nowhere (no destination configured in SCHEDULER_ALERT_WEBHOOKS).',
      damping: 'Every change is told at once (no damping).',
    });
  });

  test.each([
    [174_450, '2 days'],
    [176_400, '2 days 1 hour'],
    [90, '1 minute 30 seconds'],
    [1_211_250, '14 days'],
    [0, '0 seconds'],
  ])('%d s is "%s"', (seconds, words) => {
    expect(durationInWords(seconds)).toBe(words);
  });
});
