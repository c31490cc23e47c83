import { DEFAULT_RETRY, sameDefinition, type JobRegistration } from './job';
import { InvalidJobError, normalizeJob, planJob } from './validate';

const services = new Map([['email-service', 'http://email-service:7006']]);
const base: JobRegistration = {
  name: 'weekly-digest',
  service: 'email-service',
  endpoint: '/api/jobs/weekly-digest',
  cron: '0 9 * * MON',
};

function fieldOf(reg: Partial<JobRegistration> & Record<string, unknown>): string | null {
  try {
    normalizeJob({ ...base, ...reg } as JobRegistration, services);
    return null;
  } catch (err) {
    if (err instanceof InvalidJobError) return err.field;
    throw err;
  }
}

describe('normalizeJob', () => {
  test('fills every default of SPEC §2', () => {
    expect(normalizeJob(base, services)).toEqual({
      ...base,
      method: 'POST',
      timezone: 'UTC',
      description: '',
      payload: {},
      enabled: true,
      timeoutSeconds: 300,
      retry: DEFAULT_RETRY,
      overlap: 'skip',
      catchupWindowSeconds: 3600,
      jitterSeconds: 0,
    });
  });

  test('merges a partial retry policy with the defaults', () => {
    expect(normalizeJob({ ...base, retry: { maxAttempts: 2 } }, services).retry).toEqual({
      ...DEFAULT_RETRY,
      maxAttempts: 2,
    });
  });

  test.each([
    ['/api/jobs/x?full=1', null],
    ['/a%20b', null],
    ['api/jobs', 'endpoint'],
    ['//evil.example/x', 'endpoint'],
    ['/redirect?to=http://evil.example', 'endpoint'],
    ['/a/../b', 'endpoint'],
    ['/a/%2E%2E/b', 'endpoint'],
    ['/a/./b', 'endpoint'],
    ['/a\\b', 'endpoint'],
    ['/a\nb', 'endpoint'],
    ['/a%zz', 'endpoint'],
    ['/api/jobs/..%2f..%2fadmin', 'endpoint'],
    ['/api/jobs/%252E%252e/admin', 'endpoint'],
    ['/api/%5Cadmin', 'endpoint'],
    [`/${'x'.repeat(512)}`, 'endpoint'],
  ])('endpoint %j → %s', (endpoint, field) => {
    expect(fieldOf({ endpoint })).toBe(field);
  });

  test.each([
    ['*/5 * * * *', null],
    ['0 */5 * * * *', null],
    ['@daily', null],
    ['@every 15m', null],
    ['@every 1h30m/10m', null],
    ['CRON_TZ=Europe/Paris 0 9 * * *', null],
    ['0 13 * * MON#1', null],
    ['0 0 L * *', null],
    ['0 18 * * FRIL', null],
    ['0 0 ? * MON-FRI', null],
    ['0 9 * JAN,jul sun', null],
    ['0 0 9 * * MON 2030', 'cron'],
    ['* * * *', 'cron'],
    ['* * * * * * * *', 'cron'],
    ['@sometimes', 'cron'],
    ['@reboot', 'cron'],
    ['0 0 15W * *', 'cron'],
    ['H * * * *', 'cron'],
    ['0 13 * * MON#6', 'cron'],
    ['0 13 1#1 * *', 'cron'],
    ['61 * * * *', 'cron'],
    ['0 22-2 * * *', 'cron'],
    ['*/0 * * * *', 'cron'],
    ['0 9 * FOO *', 'cron'],
    ['@every 0s', 'cron'],
    ['@every 10m/10m', 'cron'],
    ['CRON_TZ=Mars/Olympus 0 9 * * *', 'cron'],
  ])('cron %j → %s', (cron, field) => {
    expect(fieldOf({ cron })).toBe(field);
  });

  test('a refused cron says what to write instead', () => {
    expect(() => normalizeJob({ ...base, cron: '0 0 15W * *' }, services)).toThrow(/^cron: .*W.*not supported; list/);
    expect(() => normalizeJob({ ...base, cron: '0 0 9 * * MON 2030' }, services)).toThrow(/^cron: .*write 5 fields/);
  });

  test('a CRON_TZ= prefix is the zone when timezone is not given, and must agree with it when it is', () => {
    const cron = 'CRON_TZ=America/New_York 0 9 * * *';
    expect(normalizeJob({ ...base, cron }, services).timezone).toBe('America/New_York');
    expect(normalizeJob({ ...base, cron, timezone: 'America/New_York' }, services).timezone).toBe('America/New_York');
    expect(fieldOf({ cron, timezone: 'Europe/Paris' })).toBe('cron');
    expect(fieldOf({ cron: 'TZ=Asia/Tokyo 0 9 * * *', timezone: 'Asia/Tokyo' })).toBeNull();
  });

  test('a cron that never fires is refused when it is planned', () => {
    expect(() => planJob({ name: 'x', cron: '0 0 31 2 *', timezone: 'UTC' })).toThrow(/^cron: never fires/);
    expect(() => planJob({ name: 'x', cron: '0 0 30 2 *', timezone: 'Europe/Paris' })).toThrow(/^cron: never fires/);
    expect(planJob({ name: 'x', cron: '0 0 29 2 *', timezone: 'UTC' }).calendars).toHaveLength(1);
  });

  test('rejects unknown services, time zones, oversized payloads and inverted retry intervals', () => {
    expect(fieldOf({ service: 'billing-service' })).toBe('service');
    expect(fieldOf({ timezone: 'Europe/Atlantis' })).toBe('timezone');
    expect(fieldOf({ timezone: 'America/New_York' })).toBeNull();
    expect(fieldOf({ payload: { blob: 'x'.repeat(64 * 1024) } })).toBe('payload');
    expect(fieldOf({ payload: { blob: 'x'.repeat(60 * 1024) } })).toBeNull();
    expect(fieldOf({ retry: { initialIntervalSeconds: 60, maxIntervalSeconds: 30 } })).toBe('retry.maxIntervalSeconds');
  });

  test('completion and heartbeat timeouts apply to an async job only, the heartbeat within the completion', () => {
    expect(fieldOf({ completionTimeoutSeconds: 600 })).toBe('completionTimeoutSeconds');
    expect(fieldOf({ async: false, heartbeatTimeoutSeconds: 60 })).toBe('heartbeatTimeoutSeconds');
    expect(fieldOf({ async: true, heartbeatTimeoutSeconds: 60 })).toBeNull();
    expect(fieldOf({ async: true, completionTimeoutSeconds: 600, heartbeatTimeoutSeconds: 601 })).toBe(
      'heartbeatTimeoutSeconds',
    );
    expect(fieldOf({ async: true, heartbeatTimeoutSeconds: 6 * 3600 + 1 })).toBe('heartbeatTimeoutSeconds');
    expect(fieldOf({ async: true, completionTimeoutSeconds: 600, heartbeatTimeoutSeconds: 600 })).toBeNull();
  });

  test('spreadSeconds: 0–59, never with a cron that names its own seconds; 0 is stored as absent', () => {
    expect(fieldOf({ cron: '0 * * * *', spreadSeconds: 59 })).toBeNull();
    expect(fieldOf({ cron: '@every 15m', spreadSeconds: 30 })).toBeNull();
    expect(fieldOf({ cron: '@hourly', spreadSeconds: 30 })).toBeNull();
    expect(fieldOf({ spreadSeconds: 60 })).toBe('spreadSeconds');
    expect(fieldOf({ spreadSeconds: -1 })).toBe('spreadSeconds');
    expect(fieldOf({ spreadSeconds: 1.5 })).toBe('spreadSeconds');
    expect(fieldOf({ cron: '0 0 * * * *', spreadSeconds: 30 })).toBe('spreadSeconds');
    expect(fieldOf({ cron: '0 0 * * * *', spreadSeconds: 0 })).toBeNull();
    expect(() => normalizeJob({ ...base, cron: '*/10 * * * * *', spreadSeconds: 5 }, services)).toThrow(
      /^spreadSeconds: cannot move a cron that names its own seconds .*write the second you want/,
    );
    const zero = normalizeJob({ ...base, spreadSeconds: 0 }, services);
    expect(zero).not.toHaveProperty('spreadSeconds');
    expect(sameDefinition(zero, normalizeJob(base, services))).toBe(true);
    expect(normalizeJob({ ...base, spreadSeconds: 30 }, services).spreadSeconds).toBe(30);
  });

  test('stores the endpoint as a URL parser writes it', () => {
    expect(normalizeJob({ ...base, endpoint: '/api/jobs/caf\u00e9 digest' }, services).endpoint).toBe(
      '/api/jobs/caf%C3%A9%20digest',
    );
  });

  test('names the field in the message', () => {
    expect(() => normalizeJob({ ...base, endpoint: '/..%2fadmin' }, services)).toThrow(
      /^endpoint: must not hide a \/ in percent-encoding \(%2f\)/,
    );
    expect(() => normalizeJob({ ...base, service: 'nope' }, services)).toThrow(/^service: unknown service "nope"/);
  });
});

describe('alert rules (alerts)', () => {
  const destinations = new Map([
    ['ops-slack', {}],
    ['pager', {}],
  ]);
  const alertsOf = (alerts: JobRegistration['alerts']) => normalizeJob({ ...base, alerts }, services, destinations);

  test('kept as written: only the rules set, null included; none set stores none', () => {
    expect(alertsOf({ consecutiveFailures: null, noSuccessWithinSeconds: 'auto', onSkipped: true }).alerts).toEqual({
      consecutiveFailures: null,
      noSuccessWithinSeconds: 'auto',
      onSkipped: true,
    });
    expect('alerts' in alertsOf({})).toBe(false);
    expect('alerts' in alertsOf({ destinations: [] })).toBe(false);
    expect('alerts' in normalizeJob(base, services)).toBe(false);
  });

  test('destinations must be configured ones: else a refusal naming alerts.destinations and the known names', () => {
    expect(alertsOf({ destinations: ['pager'] }).alerts).toEqual({ destinations: ['pager'] });
    expect(() => alertsOf({ destinations: ['pager', 'email'] })).toThrow(
      'alerts.destinations: unknown destination "email" (known: ops-slack, pager)',
    );
    expect(() => normalizeJob({ ...base, alerts: { destinations: ['pager'] } }, services)).toThrow(
      /^alerts\.destinations: unknown destination "pager" \(known: none configured in SCHEDULER_ALERT_WEBHOOKS\)$/,
    );
    expect(fieldOf({ alerts: { destinations: ['nope'] } })).toBe('alerts.destinations');
  });
});

describe('sameDefinition', () => {
  test('a job without rules is the same as a schedule made before rules existed; a changed rule is not', () => {
    const before = normalizeJob(base, services);
    expect(sameDefinition(before, normalizeJob({ ...base, alerts: {} }, services))).toBe(true);
    const rules = normalizeJob({ ...base, alerts: { consecutiveFailures: 5, onMissed: false } }, services);
    expect(sameDefinition(before, rules)).toBe(false);
    const reordered = normalizeJob({ ...base, alerts: { onMissed: false, consecutiveFailures: 5 } }, services);
    expect(sameDefinition(rules, reordered)).toBe(true);
    expect(sameDefinition(rules, normalizeJob({ ...base, alerts: { consecutiveFailures: 5 } }, services))).toBe(false);
  });

  test('ignores key order but not values', () => {
    const a = normalizeJob({ ...base, payload: { x: 1, y: { b: 2, a: 1 } } }, services);
    const b = { ...a, payload: { y: { a: 1, b: 2 }, x: 1 } };
    expect(sameDefinition(a, b)).toBe(true);
    expect(sameDefinition(a, { ...a, payload: { x: 2, y: { a: 1, b: 2 } } })).toBe(false);
    expect(sameDefinition(a, { ...a, retry: { ...a.retry, maxAttempts: 6 } })).toBe(false);
  });

  test('an endpoint spelled raw or as a URL parser writes it is one definition', () => {
    const raw = normalizeJob({ ...base, endpoint: '/api/jobs/a b' }, services);
    expect(sameDefinition(raw, normalizeJob({ ...base, endpoint: '/api/jobs/a%20b' }, services))).toBe(true);
    expect(sameDefinition(raw, normalizeJob({ ...base, endpoint: '/api/jobs/a%2520b' }, services))).toBe(false);
  });
});
