import {
  alertDeliveryKey,
  alertTimeOf,
  chooseDestinations,
  defaultNextSteps,
  describeRule,
  type AlertRule,
} from './alert';

describe('alerts', () => {
  test('a job that names no destination alerts to every configured one; one that names some, to those still configured', () => {
    const configured = ['ops-slack', 'pager'];
    expect(chooseDestinations(undefined, configured)).toEqual(['ops-slack', 'pager']);
    expect(chooseDestinations([], configured)).toEqual(['ops-slack', 'pager']);
    expect(chooseDestinations(['pager'], configured)).toEqual(['pager']);
    expect(chooseDestinations(['pager', 'gone'], configured)).toEqual(['pager']);
    expect(chooseDestinations(['pager'], [])).toEqual([]);
  });

  test.each<[AlertRule, string]>([
    [{ type: 'run_failed' }, 'a run failed'],
    [{ type: 'consecutive_failures', count: 3 }, '3 failed runs in a row'],
    [{ type: 'no_success_within', seconds: 90_000 }, 'no success within 1 day 1 hour'],
    [{ type: 'running_too_long', seconds: 5_400 }, 'a run still going after 1 hour 30 minutes'],
    [{ type: 'occurrences_skipped' }, 'occurrences skipped'],
    [{ type: 'occurrences_missed' }, 'occurrences missed'],
    [{ type: 'unexplained_occurrence' }, 'an occurrence with no explained fate'],
  ])('%j reads "%s", and a firing alert of it has next steps', (rule, words) => {
    expect(describeRule(rule)).toBe(words);
    expect(defaultNextSteps(rule, 'firing').length).toBeGreaterThan(0);
    expect(defaultNextSteps(rule, 'resolved')).toEqual([]);
  });

  test("a message's key names its episode, its kind and the destination; its age counts from what it reports", () => {
    const opened = { id: 'e1', kind: 'firing' as const, openedAt: '2026-11-30T08:00:00Z', resolvedAt: null };
    const resolved = { ...opened, kind: 'resolved' as const, resolvedAt: '2026-11-30T09:00:00Z' };
    expect(alertDeliveryKey(opened, 'pager')).toBe('e1:firing:pager');
    expect(alertDeliveryKey(resolved, 'pager')).toBe('e1:resolved:pager');
    expect(alertTimeOf(opened)).toBe('2026-11-30T08:00:00Z');
    expect(alertTimeOf(resolved)).toBe('2026-11-30T09:00:00Z');
  });
});
