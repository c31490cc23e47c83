import { configWarnings, ConfigError, Env, loadConfig } from './config';
import { DEFAULT_ALERT_RULES } from '../jobs/alert-rules';

const errorOf = (env: NodeJS.ProcessEnv) => {
  try {
    loadConfig(env);
    return null;
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
};

describe('loadConfig', () => {
  test('the embedded defaults of SPEC §1', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1', // open mode: an API where every caller is admin stays on loopback
      hostSet: false,
      role: 'all',
      temporal: { address: undefined, devPort: 7233, devUiPort: 8233, namespace: 'default', taskQueue: 'scheduler' },
      store: { dataDir: './data', supabaseUrl: undefined },
      identity: { open: true },
    });
    expect(config.services.size).toBe(0);
  });

  test('HOST unset: loopback for an open API, every interface with identity or for a worker; HOST set: as given', () => {
    const tokens = { SCHEDULER_ADMIN_TOKENS: 'alice=a-token-of-32-characters-or-more-0001' };
    const hostOf = (env: NodeJS.ProcessEnv) => {
      const { host, hostSet } = loadConfig(env);
      return { host, hostSet };
    };
    expect(hostOf({})).toEqual({ host: '127.0.0.1', hostSet: false });
    expect(hostOf({ SCHEDULER_ROLE: 'api' })).toEqual({ host: '127.0.0.1', hostSet: false });
    expect(hostOf({ SCHEDULER_ROLE: 'worker' })).toEqual({ host: '0.0.0.0', hostSet: false });
    expect(hostOf(tokens)).toEqual({ host: '0.0.0.0', hostSet: false });
    expect(hostOf({ HOST: '0.0.0.0' })).toEqual({ host: '0.0.0.0', hostSet: true });
    expect(hostOf({ ...tokens, HOST: '10.0.0.5' })).toEqual({ host: '10.0.0.5', hostSet: true });
  });

  test('every <NAME>_SERVICE_URL is a target service', () => {
    const config = loadConfig({
      EMAIL_SERVICE_URL: 'http://email-service:7006/',
      CRAWLER_SERVICE_URL: 'https://crawler:7004',
    });
    expect(Object.fromEntries(config.services)).toEqual({
      'email-service': 'http://email-service:7006',
      'crawler-service': 'https://crawler:7004',
    });
  });

  test.each([
    [{ PORT: 'eighty' }, /^PORT: /],
    [{ PORT: '70000' }, /^PORT: /],
    [{ SCHEDULER_ROLE: 'leader' }, /^SCHEDULER_ROLE: /],
    [{ TEMPORAL_ADDRESS: 'http://temporal:7233' }, /^TEMPORAL_ADDRESS: /],
    [{ EMAIL_SERVICE_URL: 'email-service:7006' }, /^EMAIL_SERVICE_URL: /],
    [{ EMAIL_SERVICE_URL: 'ftp://email' }, /^EMAIL_SERVICE_URL: /],
    [{ SUPABASE_URL: 'https://x.supabase.co' }, /^SUPABASE_SERVICE_KEY: /],
    [{ SUPABASE_SERVICE_KEY: 'key' }, /^SUPABASE_URL: /],
    [{ SCHEDULER_ADMIN_TOKENS: 'alice' }, /^SCHEDULER_ADMIN_TOKENS: /],
    [{ SCHEDULER_SERVICE_TOKENS: 'email-service=short' }, /^SCHEDULER_SERVICE_TOKENS: /],
    [{ SCHEDULER_SERVICE_TOKENS: 'email-service=eeeeeeeeeeeeeeeeeeee' }, /^SCHEDULER_SERVICE_TOKENS: /],
    [{ NODE_ENV: 'production' }, /^SCHEDULER_ADMIN_TOKENS: .*SCHEDULER_ALLOW_OPEN/],
  ])('%j fails with one line naming the variable', (env, pattern) => {
    const message = errorOf(env);
    expect(message).toMatch(pattern);
    expect(message).not.toContain('\n');
  });

  test('CORS: no origin by default; a list of exact origins is kept as given', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(
      loadConfig({ SCHEDULER_CORS_ORIGINS: 'https://stumbleable.com, http://localhost:3000' }).corsOrigins,
    ).toEqual(['https://stumbleable.com', 'http://localhost:3000']);
  });

  test.each([
    'https://stumbleable.com/', // a trailing slash: browsers send none
    'https://stumbleable.com/admin',
    'stumbleable.com',
    '*',
    'https://Stumbleable.com', // browsers send the host lower-case
    'https://stumbleable.com:443', // nor the default port
    'ftp://stumbleable.com',
  ])('SCHEDULER_CORS_ORIGINS=%s is refused in one line naming the variable', (origins) => {
    const message = errorOf({ SCHEDULER_CORS_ORIGINS: `https://ok.example,${origins}` });
    expect(message).toMatch(/^SCHEDULER_CORS_ORIGINS: .* is not an origin; /);
    expect(message).toContain(JSON.stringify(origins));
    expect(message).not.toContain('\n');
  });

  test('history retention keeps 90 days by default; 0 keeps every row', () => {
    expect(loadConfig({}).reconcile).toEqual({ everyMinutes: 10, lookbackHours: 24, retentionDays: 90 });
    expect(loadConfig({ SCHEDULER_HISTORY_RETENTION_DAYS: '0' }).reconcile.retentionDays).toBe(0);
    expect(
      loadConfig({ SCHEDULER_HISTORY_RETENTION_DAYS: '2', SCHEDULER_RECONCILE_LOOKBACK_HOURS: '47' }).reconcile,
    ).toMatchObject({ retentionDays: 2, lookbackHours: 47 });
  });

  test.each([
    [{ SCHEDULER_HISTORY_RETENTION_DAYS: '-1' }],
    [{ SCHEDULER_HISTORY_RETENTION_DAYS: 'ninety' }],
    [{ SCHEDULER_HISTORY_RETENTION_DAYS: '1' }], // 24 h: not more than the default lookback of 24 h
    [{ SCHEDULER_HISTORY_RETENTION_DAYS: '30', SCHEDULER_RECONCILE_LOOKBACK_HOURS: '720' }],
  ])('%j is refused: retention must outlast the reconciler lookback, or its restored rows would count twice', (env) => {
    const message = errorOf(env);
    expect(message).toMatch(/^SCHEDULER_HISTORY_RETENTION_DAYS: /);
    expect(message).not.toContain('\n');
  });

  test.each([
    [{ SCHEDULER_ROLE: 'foo' }, 'SCHEDULER_ROLE: must be one of all, api, worker (got "foo")'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")'],
    [{ TEMPORAL_TLS: 'yes' }, 'TEMPORAL_TLS: must be one of true, false, 1, 0 (got "yes")'],
    [{ SCHEDULER_ALLOW_OPEN: 'on' }, 'SCHEDULER_ALLOW_OPEN: must be one of true, false, 1, 0 (got "on")'],
  ])('an enumeration names its accepted values: %j', (env, line) => {
    expect(errorOf(env)).toBe(line);
  });

  test('every enumeration of the schema is one a bad value lists', () => {
    const enums = Object.entries(Env.properties).filter(([, schema]) => Array.isArray(schema.anyOf));
    expect(enums.length).toBeGreaterThanOrEqual(4);
    for (const [name] of enums) expect(errorOf({ [name]: 'no-such-value' })).toMatch(`${name}: must be one of `);
  });

  test('a service token whose service has no URL stops the start with one line', () => {
    const token = 'crawler-token-0123456789';
    expect(errorOf({ SCHEDULER_SERVICE_TOKENS: `crawler-service=${token}`, EMAIL_SERVICE_URL: 'http://e:7006' })).toBe(
      'SCHEDULER_SERVICE_TOKENS: crawler-service has a token but CRAWLER_SERVICE_URL is not set',
    );
    expect(errorOf({ SCHEDULER_SERVICE_TOKENS: `crawler=${token}`, CRAWLER_SERVICE_URL: 'http://c:7004' })).toMatch(
      /^SCHEDULER_SERVICE_TOKENS: crawler is no service name: /,
    );
    expect(
      loadConfig({ SCHEDULER_SERVICE_TOKENS: `crawler-service=${token}`, CRAWLER_SERVICE_URL: 'http://c:7004' })
        .identity.serviceTokens.size,
    ).toBe(1);
  });

  test.each([
    [
      { SCHEDULER_SERVICE_TOKENS: 'email-service=shared-token-0123456789,crawler-service=shared-token-0123456789' },
      'SCHEDULER_SERVICE_TOKENS: email-service and crawler-service share a token; each needs its own',
    ],
    [
      { SCHEDULER_ADMIN_TOKENS: 'alice=shared-token-0123456789,bob=shared-token-0123456789' },
      'SCHEDULER_ADMIN_TOKENS: alice and bob share a token; each needs its own',
    ],
    [
      {
        SCHEDULER_ADMIN_TOKENS: 'alice=shared-token-0123456789',
        SCHEDULER_SERVICE_TOKENS: 'email-service=shared-token-0123456789',
      },
      'SCHEDULER_ADMIN_TOKENS: admin alice and service email-service (SCHEDULER_SERVICE_TOKENS) share a token; each needs its own',
    ],
  ])('two names sharing one token are refused, and the token is not echoed: %j', (env, line) => {
    const message = errorOf({ EMAIL_SERVICE_URL: 'http://e:7006', CRAWLER_SERVICE_URL: 'http://c:7004', ...env });
    expect(message).toBe(line);
  });

  test('one name may hold two tokens (a rotation)', () => {
    const { identity } = loadConfig({
      SCHEDULER_ADMIN_TOKENS: 'alice=old-token-0123456789,alice=new-token-0123456789',
    });
    expect([...identity.adminTokens.values()]).toEqual(['alice', 'alice']);
  });

  test('no service URL at all is a warning at start, not an error', () => {
    expect(configWarnings(loadConfig({}))).toEqual([expect.stringMatching(/^no <NAME>_SERVICE_URL set: /)]);
    expect(configWarnings(loadConfig({ EMAIL_SERVICE_URL: 'http://e:7006' }))).toEqual([]);
  });

  test('production runs open only when allowed explicitly', () => {
    expect(loadConfig({ NODE_ENV: 'production', SCHEDULER_ALLOW_OPEN: 'true' }).identity.open).toBe(true);
  });

  test("the start rate: 200 for the embedded dev server, Temporal's 30 for a cluster, else as given", () => {
    expect(loadConfig({}).temporal.startRate).toBe(200);
    expect(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' }).temporal.startRate).toBe(30);
    expect(
      loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', SCHEDULER_TEMPORAL_START_RATE: '500' }).temporal.startRate,
    ).toBe(500);
    expect(() => loadConfig({ SCHEDULER_TEMPORAL_START_RATE: '0' })).toThrow(/^SCHEDULER_TEMPORAL_START_RATE: /);
  });

  test("the runs' worker's workflow task slots and sticky cache: defaults, as given, and slots never over the cache", () => {
    expect(loadConfig({}).worker).toMatchObject({ maxWorkflowTasks: 10, maxCachedWorkflows: 100 });
    const sized = loadConfig({
      SCHEDULER_WORKER_MAX_WORKFLOW_TASKS: '40',
      SCHEDULER_WORKER_MAX_CACHED_WORKFLOWS: '2000',
    });
    expect(sized.worker).toMatchObject({ maxWorkflowTasks: 40, maxCachedWorkflows: 2000 });
    expect(() => loadConfig({ SCHEDULER_WORKER_MAX_WORKFLOW_TASKS: '1' })).toThrow(
      /^SCHEDULER_WORKER_MAX_WORKFLOW_TASKS: .*\(got "1"\)$/,
    );
    expect(() => loadConfig({ SCHEDULER_WORKER_MAX_CACHED_WORKFLOWS: 'many' })).toThrow(
      /^SCHEDULER_WORKER_MAX_CACHED_WORKFLOWS: /,
    );
    expect(() =>
      loadConfig({ SCHEDULER_WORKER_MAX_WORKFLOW_TASKS: '200', SCHEDULER_WORKER_MAX_CACHED_WORKFLOWS: '100' }),
    ).toThrow(
      /^SCHEDULER_WORKER_MAX_WORKFLOW_TASKS: 200 must not exceed SCHEDULER_WORKER_MAX_CACHED_WORKFLOWS \(100\)/,
    );
  });

  test('an API key turns TLS on (Temporal Cloud) unless TEMPORAL_TLS says otherwise', () => {
    expect(loadConfig({}).temporal).toMatchObject({ tls: false, apiKey: undefined });
    expect(loadConfig({ TEMPORAL_API_KEY: 'k' }).temporal).toMatchObject({ tls: true, apiKey: 'k' });
    expect(loadConfig({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }).temporal.tls).toBe(false);
    expect(loadConfig({ TEMPORAL_TLS: 'true' }).temporal.tls).toBe(true);
  });

  test('secret values never appear in an error line', () => {
    const message = errorOf({ SCHEDULER_SIGNING_SECRET: 'short-secret' });
    expect(message).toMatch(/^SCHEDULER_SIGNING_SECRET: /);
    expect(message).not.toContain('short-secret');
  });

  test('an empty variable counts as unset', () => {
    expect(loadConfig({ PORT: '', SCHEDULER_ADMIN_JWT_AUDIENCE: '' })).toMatchObject({ port: 8080 });
  });

  test('tokens map to callers', () => {
    const { identity } = loadConfig({
      SCHEDULER_ADMIN_TOKENS: 'alice=aaaaaaaaaaaaaaaaaaaa',
      SCHEDULER_SERVICE_TOKENS: 'email-service=eeeeeeeeeeeeeeeeeeee, crawler-service=cccccccccccccccccccc',
      EMAIL_SERVICE_URL: 'http://email-service:7006',
      CRAWLER_SERVICE_URL: 'http://crawler:7004',
    });
    expect(identity.open).toBe(false);
    expect(identity.adminTokens.get('aaaaaaaaaaaaaaaaaaaa')).toBe('alice');
    expect(identity.serviceTokens.get('cccccccccccccccccccc')).toBe('crawler-service');
  });

  describe('default alert rules (SCHEDULER_ALERT_*)', () => {
    test('unset: on failure, after 3 in a row, the dead-man derived from the schedule, missed occurrences; 10 min damping', () => {
      expect(loadConfig({}).alerts.rules).toEqual({
        onFailure: true,
        consecutiveFailures: 3,
        noSuccessWithinSeconds: 'auto',
        runningLongerThanSeconds: null,
        onSkipped: false,
        onMissed: true,
        dampingSeconds: 600,
      });
    });

    test('each variable sets its rule; 0 and off turn rules off', () => {
      const env = {
        SCHEDULER_ALERT_ON_FAILURE: 'false',
        SCHEDULER_ALERT_CONSECUTIVE_FAILURES: '0',
        SCHEDULER_ALERT_NO_SUCCESS_WITHIN_SECONDS: 'off',
        SCHEDULER_ALERT_RUNNING_LONGER_THAN_SECONDS: '1800',
        SCHEDULER_ALERT_ON_SKIPPED: '1',
        SCHEDULER_ALERT_ON_MISSED: '0',
        SCHEDULER_ALERT_DAMPING_SECONDS: '0',
      };
      expect(loadConfig(env).alerts.rules).toEqual({
        onFailure: false,
        consecutiveFailures: null,
        noSuccessWithinSeconds: null,
        runningLongerThanSeconds: 1800,
        onSkipped: true,
        onMissed: false,
        dampingSeconds: 0,
      });
      expect(
        loadConfig({ SCHEDULER_ALERT_NO_SUCCESS_WITHIN_SECONDS: '86400' }).alerts.rules.noSuccessWithinSeconds,
      ).toBe(86400);
    });

    test.each([
      ['SCHEDULER_ALERT_ON_FAILURE', 'yes'],
      ['SCHEDULER_ALERT_CONSECUTIVE_FAILURES', '1'],
      ['SCHEDULER_ALERT_CONSECUTIVE_FAILURES', '1001'],
      ['SCHEDULER_ALERT_CONSECUTIVE_FAILURES', 'three'],
      ['SCHEDULER_ALERT_NO_SUCCESS_WITHIN_SECONDS', '2d'],
      ['SCHEDULER_ALERT_NO_SUCCESS_WITHIN_SECONDS', '59'],
      ['SCHEDULER_ALERT_NO_SUCCESS_WITHIN_SECONDS', '-5'],
      ['SCHEDULER_ALERT_RUNNING_LONGER_THAN_SECONDS', 'auto'],
      ['SCHEDULER_ALERT_RUNNING_LONGER_THAN_SECONDS', '5'],
      ['SCHEDULER_ALERT_ON_MISSED', 'no'],
      ['SCHEDULER_ALERT_DAMPING_SECONDS', '86401'],
    ])('%s=%s stops the start with one line naming it', (variable, value) => {
      const message = errorOf({ [variable]: value });
      expect(message).toMatch(new RegExp(`^${variable}: `));
      expect(message).not.toContain('\n');
    });
  });

  describe('alert destinations (SCHEDULER_ALERT_WEBHOOKS)', () => {
    const slackUrl = 'https://hooks.slack.com/services/T000/B000/secretpart';
    test('none by default; links go to the console on localhost, alerts older than 24 h are undeliverable', () => {
      expect(loadConfig({}).alerts).toEqual({
        rules: DEFAULT_ALERT_RULES,
        destinations: new Map(),
        maxAgeHours: 24,
        consoleUrl: 'http://localhost:8080/admin/',
        publicUrlSet: false,
      });
    });

    test('a hooks.slack.com URL is Slack, slack+ forces Slack, any other URL is the generic webhook', () => {
      const { alerts } = loadConfig({
        SCHEDULER_ALERT_WEBHOOKS: `ops=${slackUrl}, pager=https://pager.example/in?team=a , relay=slack+http://relay:9000/slack`,
        SCHEDULER_ALERT_MAX_AGE_HOURS: '6',
        SCHEDULER_PUBLIC_URL: 'https://api.stumbleable.com/scheduler/',
      });
      expect([...alerts.destinations.values()]).toEqual([
        { name: 'ops', kind: 'slack', url: slackUrl },
        { name: 'pager', kind: 'webhook', url: 'https://pager.example/in?team=a' },
        { name: 'relay', kind: 'slack', url: 'http://relay:9000/slack' },
      ]);
      expect(alerts).toMatchObject({
        maxAgeHours: 6,
        consoleUrl: 'https://api.stumbleable.com/scheduler/admin/',
        publicUrlSet: true,
      });
    });

    test.each([
      [
        '=https://a.example/hook',
        'SCHEDULER_ALERT_WEBHOOKS: entry 1 needs a name of lower-case letters, digits and - before its URL (name=url,…)',
      ],
      [
        'ok=https://a.example,https://b.example/hook',
        'SCHEDULER_ALERT_WEBHOOKS: entry 2 needs a name of lower-case letters, digits and - before its URL (name=url,…)',
      ],
      [
        'Ops Team=https://a.example/hook',
        'SCHEDULER_ALERT_WEBHOOKS: entry 1 needs a name of lower-case letters, digits and - before its URL (name=url,…)',
      ],
      [`ops=${slackUrl},ops=https://b.example/hook`, 'SCHEDULER_ALERT_WEBHOOKS: ops is named twice; each name once'],
      [
        'ops=hooks.slack.com/services/T000/B000/secretpart',
        'SCHEDULER_ALERT_WEBHOOKS: the URL of ops must be an http(s) URL (value hidden)',
      ],
      [
        'ops=ftp://files.example/secretpart',
        'SCHEDULER_ALERT_WEBHOOKS: the URL of ops must be an http(s) URL (value hidden)',
      ],
      ['ops=', 'SCHEDULER_ALERT_WEBHOOKS: the URL of ops must be an http(s) URL (value hidden)'],
      [
        'ops=https://user:secretpart@a.example/',
        'SCHEDULER_ALERT_WEBHOOKS: the URL of ops must have no credentials or fragment (value hidden)',
      ],
    ])('%s stops the start with one line naming the variable, never the URL', (value, line) => {
      const message = errorOf({ SCHEDULER_ALERT_WEBHOOKS: value });
      expect(message).toBe(line);
      expect(message).not.toContain('secretpart');
    });

    test.each([
      [{ SCHEDULER_ALERT_MAX_AGE_HOURS: '0' }, /^SCHEDULER_ALERT_MAX_AGE_HOURS: /],
      [{ SCHEDULER_ALERT_MAX_AGE_HOURS: '721' }, /^SCHEDULER_ALERT_MAX_AGE_HOURS: /],
      [{ SCHEDULER_PUBLIC_URL: 'api.stumbleable.com' }, /^SCHEDULER_PUBLIC_URL: /],
    ])('%j fails with one line naming the variable', (env, pattern) => {
      expect(errorOf(env)).toMatch(pattern);
    });

    test('destinations without SCHEDULER_PUBLIC_URL warn that the links point at localhost', () => {
      const env = { EMAIL_SERVICE_URL: 'http://e:7006', SCHEDULER_ALERT_WEBHOOKS: `ops=${slackUrl}` };
      expect(configWarnings(loadConfig(env))).toEqual([expect.stringMatching(/^SCHEDULER_PUBLIC_URL not set: /)]);
      expect(configWarnings(loadConfig({ ...env, SCHEDULER_PUBLIC_URL: 'https://s.example' }))).toEqual([]);
    });
  });
});
