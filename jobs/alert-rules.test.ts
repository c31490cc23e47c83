import {
  alertRulesOf,
  deadManSeconds,
  DEFAULT_ALERT_RULES,
  effectiveAlertRules,
  runBudgetSeconds,
  type AlertRuleDefaults,
} from './alert-rules';
import { parseCron } from './cron';
import { longestFireGap } from './fire-plan';
import type { JobRegistration } from './job';
import { normalizeJob } from './validate';

const services = new Map([['email-service', 'http://email-service:7006']]);
const destinations = new Map([
  ['ops-slack', {}],
  ['pager', {}],
]);
const jobOf = (reg: Partial<JobRegistration>) =>
  normalizeJob(
    { name: 'digest', service: 'email-service', endpoint: '/run', cron: '0 9 * * MON', ...reg },
    services,
    destinations,
  );

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;
/** One run of the default policy: 5 attempts of 300 s, and waits of 10, 20, 40 and 80 s between them. */
const DEFAULT_RUN = 5 * 300 + 10 + 20 + 40 + 80;
const at = (iso: string) => new Date(iso);

describe('runBudgetSeconds', () => {
  test('every attempt its whole timeout, and the backoff waits capped by maxIntervalSeconds', () => {
    expect(runBudgetSeconds(jobOf({}))).toBe(DEFAULT_RUN);
    const capped = { maxAttempts: 4, initialIntervalSeconds: 100, backoffCoefficient: 10, maxIntervalSeconds: 600 };
    expect(runBudgetSeconds({ timeoutSeconds: 60, retry: capped })).toBe(4 * 60 + 100 + 600 + 600);
    expect(runBudgetSeconds(jobOf({ timeoutSeconds: 30, retry: { maxAttempts: 1 } }))).toBe(30);
    // an async job's attempt lasts until its service reports: its call, then its completion timeout
    const async = { timeoutSeconds: 30, async: true, completionTimeoutSeconds: 7200, retry: { maxAttempts: 1 } };
    expect(runBudgetSeconds(jobOf(async))).toBe(30 + 7200);
    expect(runBudgetSeconds(jobOf({ ...async, completionTimeoutSeconds: undefined }))).toBe(30 + 6 * 3600);
  });
});

describe('deadManSeconds: twice the longest gap over 8 weeks, plus jitter and one run with its retries, ≥ 10 min', () => {
  const now = at('2026-11-30T00:00:00Z');
  test.each([
    ['every minute', '* * * * *', 'UTC', 2 * MINUTE],
    ['hourly', '@hourly', 'UTC', 2 * HOUR],
    ['daily', '0 10 * * *', 'UTC', 2 * DAY],
    ["weekly (the seed's weekly digest)", '0 9 * * MON', 'America/New_York', 2 * 7 * DAY],
    ['@every 90s', '@every 90s', 'UTC', 2 * 90],
    ['weekdays at 9: the weekend is the longest gap', '0 9 * * MON-FRI', 'Europe/Paris', 2 * 3 * DAY],
  ])('%s (%s in %s)', (_what, cron, timezone, twiceTheGap) => {
    expect(deadManSeconds(jobOf({ cron, timezone }), now)).toBe(twiceTheGap + DEFAULT_RUN);
  });

  test('a monthly "first Monday" job: the 5-week gap between the first Mondays of March and April', () => {
    // first Mondays of 2027: Mar 1, Apr 5 (5 weeks later), May 3
    const job = jobOf({ cron: '0 13 * * MON#1', timezone: 'UTC' });
    expect(deadManSeconds(job, at('2027-02-15T00:00:00Z'))).toBe(2 * 35 * DAY + DEFAULT_RUN);
    // from Nov 30, 2026 the first Mondays are 4 weeks apart (Dec 7, Jan 4, Feb 1)
    expect(deadManSeconds(job, now)).toBe(2 * 28 * DAY + DEFAULT_RUN);
  });

  test('a daily job in a DST zone: the 25-hour day when New York falls back counts', () => {
    const job = jobOf({ cron: '0 9 * * *', timezone: 'America/New_York' });
    // Nov 7, 2027: 09:00 EDT (13:00 UTC) on the 6th to 09:00 EST (14:00 UTC) on the 7th
    expect(deadManSeconds(job, at('2027-10-20T00:00:00Z'))).toBe(2 * 25 * HOUR + DEFAULT_RUN);
    // only the spring-forward day (23 h) in the window: the longest gap is a plain day
    expect(deadManSeconds(job, at('2027-02-20T00:00:00Z'))).toBe(2 * DAY + DEFAULT_RUN);
  });

  test('jitter adds to it, and it is never under 10 minutes', () => {
    expect(deadManSeconds(jobOf({ cron: '@hourly', jitterSeconds: 300 }), now)).toBe(2 * HOUR + 300 + DEFAULT_RUN);
    const quick = jobOf({ cron: '@every 10s', timeoutSeconds: 5, retry: { maxAttempts: 1 } });
    expect(deadManSeconds(quick, now)).toBe(600);
  });

  test('a cron that fires rarely: the wait until its next fire', () => {
    // Feb 29 comes next in 2028
    const job = jobOf({ cron: '0 0 29 2 *', timezone: 'UTC' });
    const wait = (Date.UTC(2028, 1, 29) - Date.UTC(2027, 2, 1)) / 1000;
    expect(deadManSeconds(job, at('2027-03-01T00:00:00Z'))).toBe(2 * wait + DEFAULT_RUN);
  });
});

describe('longestFireGap', () => {
  const gap = (cron: string, zone: string, from: string, to: string) =>
    longestFireGap(parseCron(cron), zone, at(from), at(to));

  test('counts the wait from `from` to the first fire, and the gap that crosses `to`', () => {
    expect(gap('0 0 1 * *', 'UTC', '2027-01-20T00:00:00Z', '2027-01-25T00:00:00Z')).toBe(12 * DAY);
    expect(gap('0 0 1,3 * *', 'UTC', '2027-01-01T00:00:00Z', '2027-01-02T00:00:00Z')).toBe(2 * DAY);
    // the whole window's fires: Jan 1 → 3, then 3 → Feb 1
    expect(gap('0 0 1,3 * *', 'UTC', '2027-01-01T00:00:00Z', '2027-01-10T00:00:00Z')).toBe(29 * DAY);
  });

  test('a per-second cron', () => {
    expect(gap('* * * * * *', 'UTC', '2027-01-01T00:00:00Z', '2027-02-26T00:00:00Z')).toBe(1);
    // 17:59:40 to 09:00:00 the next day
    expect(gap('*/20 * 9-17 * * *', 'Europe/Paris', '2027-01-01T00:00:00Z', '2027-01-09T00:00:00Z')).toBe(
      15 * HOUR + 20,
    );
  });
});

describe('effectiveAlertRules', () => {
  const now = at('2026-11-30T00:00:00Z');

  test('a job that sets nothing has the configured defaults, the dead-man derived', () => {
    expect(effectiveAlertRules(jobOf({ cron: '@hourly' }), DEFAULT_ALERT_RULES, now)).toEqual({
      onFailure: true,
      consecutiveFailures: 3,
      noSuccessWithinSeconds: 2 * HOUR + DEFAULT_RUN,
      runningLongerThanSeconds: null,
      onSkipped: false,
      onMissed: true,
      dampingSeconds: 600,
    });
  });

  test("a job's own values win, null turns a rule off, and a changed default reaches the rules it left out", () => {
    const job = jobOf({
      alerts: { onFailure: false, consecutiveFailures: null, noSuccessWithinSeconds: 7200, onSkipped: true },
    });
    const defaults: AlertRuleDefaults = { ...DEFAULT_ALERT_RULES, runningLongerThanSeconds: 900, onMissed: false };
    expect(effectiveAlertRules(job, defaults, now)).toEqual({
      onFailure: false,
      consecutiveFailures: null,
      noSuccessWithinSeconds: 7200,
      runningLongerThanSeconds: 900,
      onSkipped: true,
      onMissed: false,
      dampingSeconds: 600,
    });
  });

  test('a job asks for `auto` when the default is a fixed duration, or off', () => {
    const job = jobOf({ cron: '@daily', alerts: { noSuccessWithinSeconds: 'auto' } });
    const off = { ...DEFAULT_ALERT_RULES, noSuccessWithinSeconds: null };
    expect(effectiveAlertRules(job, off, now).noSuccessWithinSeconds).toBe(2 * DAY + DEFAULT_RUN);
    expect(effectiveAlertRules(jobOf({ cron: '@daily' }), off, now).noSuccessWithinSeconds).toBeNull();
  });
});

describe('alertRulesOf', () => {
  const now = at('2026-11-30T00:00:00Z');
  const settings = { rules: DEFAULT_ALERT_RULES, destinations };

  test('says whether the dead-man was derived, and where the alerts go: every destination when none is named', () => {
    expect(alertRulesOf(jobOf({}), settings, now)).toMatchObject({
      noSuccessWithinSeconds: 2 * 7 * DAY + DEFAULT_RUN,
      noSuccessWithinDerived: true,
      destinations: ['ops-slack', 'pager'],
    });
    const named = jobOf({ alerts: { noSuccessWithinSeconds: 3600, destinations: ['pager'] } });
    expect(alertRulesOf(named, settings, now)).toMatchObject({
      noSuccessWithinSeconds: 3600,
      noSuccessWithinDerived: false,
      destinations: ['pager'],
    });
  });

  test('a destination configured away later is left out; the others still get the alerts', () => {
    const job = jobOf({ alerts: { destinations: ['pager', 'ops-slack'] } });
    const fewer = { ...settings, destinations: new Map([['ops-slack', {}]]) };
    expect(alertRulesOf(job, fewer, now).destinations).toEqual(['ops-slack']);
  });
});
