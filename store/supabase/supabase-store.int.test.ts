import { createClient, type WebSocketLikeConstructor } from '@supabase/supabase-js';
import { Pool } from 'pg';
import ws from 'ws';
import { describeJobStoreContract, REFUSED_TEXT } from '../../test/contracts/job-store';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres';
import { startGateway, startPostgrest, type Gateway, type Postgrest } from '../../test/support/postgrest';
import type { ExecutionRecord } from '../../jobs/execution';
import { NO_TIMES, StoreError } from '../job-store';
import { openStore } from '../open-store';
import { toFunctionArgs, toJobScheduleWrite, toScheduledJobWrite } from '../rows';
import { createSupabaseStore, refusedForContent } from './supabase-store';

/** Supabase as the integration globalSetup started it, or, when this file runs alone, its own for this file. */
interface Supabase {
  url: string;
  serviceKey: string;
  anonKey: string;
  dbUrl: string;
}

let supabase: Supabase | undefined;
let owned: { database: TestDatabase; postgrest: Postgrest; gateway: Gateway } | undefined;
let pool: Pool | undefined;

const env = () => {
  if (!supabase) throw new Error('beforeAll did not run');
  return supabase;
};

beforeAll(async () => {
  const { SUPABASE_TEST_URL, SUPABASE_TEST_SERVICE_KEY, SUPABASE_TEST_ANON_KEY, SUPABASE_TEST_DB_URL } = process.env;
  if (SUPABASE_TEST_URL) {
    if (!SUPABASE_TEST_SERVICE_KEY || !SUPABASE_TEST_ANON_KEY || !SUPABASE_TEST_DB_URL) {
      throw new Error(
        'SUPABASE_TEST_URL needs SUPABASE_TEST_SERVICE_KEY, SUPABASE_TEST_ANON_KEY and SUPABASE_TEST_DB_URL',
      );
    }
    supabase = {
      url: SUPABASE_TEST_URL,
      serviceKey: SUPABASE_TEST_SERVICE_KEY,
      anonKey: SUPABASE_TEST_ANON_KEY,
      dbUrl: SUPABASE_TEST_DB_URL,
    };
  } else {
    const database = await createTestDatabase();
    try {
      const postgrest = await startPostgrest(database.database);
      const gateway = await startGateway(postgrest.url);
      owned = { database, postgrest, gateway };
    } catch (err) {
      await database.drop();
      throw err;
    }
    supabase = {
      url: owned.gateway.url,
      serviceKey: owned.postgrest.serviceKey,
      anonKey: owned.postgrest.anonKey,
      dbUrl: owned.database.url,
    };
  }
  pool = new Pool({ connectionString: supabase.dbUrl, max: 2 });
}, 60_000);

afterAll(async () => {
  await pool?.end();
  if (owned) {
    await owned.gateway.close();
    await owned.postgrest.stop();
    await owned.database.drop();
  }
}, 60_000);

describeJobStoreContract('Supabase store over PostgREST', async () => {
  if (!pool) throw new Error('beforeAll did not run');
  // Only rows holding the contract's text are refused, so the rule may stay for the rest of a shared run; its function
  // lives outside public, whose functions only service_role may execute (tested below).
  await pool.query(`
    CREATE SCHEMA IF NOT EXISTS contract_test;
    CREATE OR REPLACE FUNCTION contract_test.refusal() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF strpos(coalesce(NEW.response, '') || coalesce(NEW.error, ''), '${REFUSED_TEXT}') > 0 THEN
        RAISE EXCEPTION 'refused by the contract rule' USING ERRCODE = '22P05';
      END IF;
      RETURN NEW;
    END $$;
    DROP TRIGGER IF EXISTS contract_refusal ON public.scheduled_jobs;
    CREATE TRIGGER contract_refusal BEFORE INSERT OR UPDATE ON public.scheduled_jobs
      FOR EACH ROW EXECUTE FUNCTION contract_test.refusal();`);
  return {
    store: createSupabaseStore(env().url, env().serviceKey),
    rawQuery: async (sql) => (await pool!.query<Record<string, unknown>>(sql)).rows,
  };
});

const suffix = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

function execution(id: string, jobName: string): ExecutionRecord {
  return {
    id,
    jobName,
    service: 'email-service',
    status: 'succeeded',
    trigger: 'manual',
    triggeredBy: 'admin',
    retryOf: null,
    scheduledAt: null,
    startedAt: new Date().toISOString(),
    completedAt: new Date().toISOString(),
    durationMs: 12,
    attempts: 1,
    httpStatus: 200,
    error: null,
    response: 'ok',
    workflowId: id,
    runId: null,
  };
}

describe('Supabase store', () => {
  it('is what openStore opens when both Supabase settings are set', async () => {
    const store = openStore({ supabaseUrl: env().url, supabaseServiceKey: env().serviceKey, dataDir: '/nonexistent' });
    const e = execution(`open-store-${suffix()}`, `open-store-${suffix()}`);
    await store.recordExecution(e);
    const rows = await pool?.query('SELECT status FROM scheduled_jobs WHERE id = $1', [e.id]);
    expect(rows?.rows).toEqual([{ status: 'succeeded' }]);
    await store.close();
  });

  it('refuses the anon key (RLS on, no policies) while the service key works', async () => {
    const service = createSupabaseStore(env().url, env().serviceKey);
    const anon = createSupabaseStore(env().url, env().anonKey);
    const e = execution(`anon-check-${suffix()}`, `anon-check-${suffix()}`);

    const refused = await anon.recordExecution(e).then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(StoreError);
    expect((refused as StoreError).cause).toMatchObject({ code: '42501' });
    const direct = await fetch(`${env().url}/rest/v1/rpc/record_execution`, {
      method: 'POST',
      headers: { apikey: env().anonKey, authorization: `Bearer ${env().anonKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(toFunctionArgs(toScheduledJobWrite(e))),
    });
    expect(direct.status).toBe(401);
    // Past the functions, the tables themselves: granted to anon as Supabase does, but RLS without policies refuses.
    const insert = await fetch(`${env().url}/rest/v1/scheduled_jobs`, {
      method: 'POST',
      headers: { apikey: env().anonKey, authorization: `Bearer ${env().anonKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(toScheduledJobWrite(e)),
    });
    expect(insert.status).toBe(401);
    expect(await insert.json()).toMatchObject({ code: '42501', message: expect.stringMatching(/row-level security/) });
    expect(await service.getExecution(e.id)).toBeNull();

    await service.recordExecution(e);
    expect(await service.getExecution(e.id)).toEqual(e);
    // Reads under RLS without a policy do not fail: they see nothing.
    expect(await anon.getExecution(e.id)).toBeNull();
    await Promise.all([service.close(), anon.close()]);
  });

  it('throws StoreError while the gateway is down and works again once it is back', async () => {
    // A gateway of our own in front of whichever one serves the tests, so taking it down disturbs nobody else.
    let gateway = await startGateway(`${env().url}/rest/v1`);
    const store = createSupabaseStore(gateway.url, env().serviceKey);
    const jobName = `outage-${suffix()}`;
    await store.recordExecution(execution(`${jobName}-1`, jobName));

    await gateway.close();
    await expect(store.ping()).rejects.toBeInstanceOf(StoreError);
    await expect(store.recordExecution(execution(`${jobName}-2`, jobName))).rejects.toThrow(
      /store operation recordExecution failed: .*fetch failed/,
    );
    await expect(store.getJob(jobName)).rejects.toBeInstanceOf(StoreError);

    gateway = await startGateway(`${env().url}/rest/v1`, gateway.port);
    try {
      await store.ping();
      await store.recordExecution(execution(`${jobName}-2`, jobName));
      expect((await store.listExecutions({ jobName, limit: 10 })).map((e) => e.id)).toEqual([
        `${jobName}-2`,
        `${jobName}-1`,
      ]);
    } finally {
      await store.close();
      await gateway.close();
    }
  }, 30_000); // supabase-js retries a failed GET three times over 7 s before reporting it

  it('reports a refused request as StoreError with the PostgREST error as cause', async () => {
    const store = createSupabaseStore(env().url, env().serviceKey);
    const bad = {
      ...execution(`bad-status-${suffix()}`, 'bad-status'),
      status: 'exploded',
    } as unknown as ExecutionRecord;

    const err = await store.recordExecution(bad).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).cause).toMatchObject({ code: '23514' });
    expect(err).toMatchObject({ refused: true }); // a CHECK: the same row would be refused again
    await store.close();
  });

  it('tells a row PostgreSQL refuses for a lone surrogate apart from an outage, and stores the text well-formed', async () => {
    const db = createClient(env().url, env().serviceKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: ws as unknown as WebSocketLikeConstructor },
    });
    const e = { ...execution(`surrogate-${suffix()}`, 'surrogate'), response: `bb${'😀'.repeat(511)}\ud83d` };
    // past the store's mapping, as a write of the previous release sent it
    const raw = await db.rpc('record_execution', toFunctionArgs({ ...toScheduledJobWrite(e), response: e.response }));
    expect(raw).toMatchObject({ status: 400, error: { code: 'PGRST102', message: 'Empty or invalid json' } });
    expect(refusedForContent(raw.error, raw.status)).toBe(true);
    // PostgreSQL's own refusal of the same text, when a JSON value reaches it (an insert through a view, a trigger)
    const parsed = await pool!.query(`SELECT '"a\\ud83d"'::jsonb`).catch((err: unknown) => err);
    expect(parsed).toMatchObject({ code: '22P02', detail: 'Unicode low surrogate must follow a high surrogate.' });
    expect(refusedForContent(parsed)).toBe(true);

    const store = createSupabaseStore(env().url, env().serviceKey);
    await store.recordExecution(e); // through the mapping: U+FFFD for the half character
    expect((await store.getExecution(e.id))?.response).toBe(`bb${'😀'.repeat(511)}\ufffd`);

    const gateway = await startGateway(`${env().url}/rest/v1`);
    const down = createSupabaseStore(gateway.url, env().serviceKey);
    await gateway.close();
    const outage = await down.recordExecution(e).catch((err: unknown) => err);
    expect(outage).toBeInstanceOf(StoreError);
    expect(outage).toMatchObject({ refused: false });
    await Promise.all([store.close(), down.close()]);
  });
});

describe('function privileges', () => {
  const client = (key: string) =>
    createClient(env().url, key, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: ws as unknown as WebSocketLikeConstructor },
    });
  const query = async <T extends object>(sql: string, values: unknown[] = []) => {
    if (!pool) throw new Error('beforeAll did not run');
    return (await pool.query<T>(sql, values)).rows;
  };
  const NOW = '2026-11-26T12:00:00.000Z';

  it('refuses record_execution and the other mirror functions to the anon key, and nothing is written', async () => {
    const anon = client(env().anonKey);
    const jobName = `anon-rpc-${suffix()}`;
    const e = execution(`${jobName}-1`, jobName);
    const job = toJobScheduleWrite({
      definition: {
        name: jobName,
        service: 'email-service',
        endpoint: '/api/jobs/x',
        method: 'POST',
        cron: '@daily',
        timezone: 'UTC',
        description: '',
        payload: {},
        enabled: true,
        timeoutSeconds: 300,
        retry: { maxAttempts: 5, initialIntervalSeconds: 10, backoffCoefficient: 2, maxIntervalSeconds: 600 },
        overlap: 'skip',
        catchupWindowSeconds: 3600,
        jitterSeconds: 0,
      },
      paused: false,
      pauseNote: null,
      scheduleNote: null,
      times: NO_TIMES,
      scheduleUpdatedAt: null,
      createdAt: NOW,
      updatedAt: NOW,
    });
    const calls: [string, Record<string, unknown>][] = [
      ['record_execution', toFunctionArgs(toScheduledJobWrite(e))],
      ['upsert_job', toFunctionArgs(job)],
      ['refresh_job_stats', { p_job_name: jobName }],
      ['lock_job_stats', { p_job_name: jobName }],
    ];

    for (const [fn, args] of calls) {
      const { error, status } = await anon.rpc(fn, args);
      // Refused for lack of EXECUTE, not by RLS inside the function: without the migration's revoke, the default
      // privileges would let lock_job_stats and refresh_job_stats run, and the writes fail only at the row.
      expect({ fn, status: [401, 403].includes(status) ? 'refused' : status, error }).toMatchObject({
        fn,
        status: 'refused',
        error: { code: '42501', message: `permission denied for function ${fn}` },
      });
    }
    expect(await query('SELECT id FROM scheduled_jobs WHERE job_name = $1', [jobName])).toEqual([]);
    expect(await query('SELECT job_name FROM job_schedules WHERE job_name = $1', [jobName])).toEqual([]);

    // The same calls with the service key go through.
    const service = client(env().serviceKey);
    for (const [fn, args] of calls) expect({ fn, ...(await service.rpc(fn, args)) }).toMatchObject({ fn, error: null });
    expect(await query('SELECT id, status FROM scheduled_jobs WHERE job_name = $1', [jobName])).toEqual([
      { id: e.id, status: 'succeeded' },
    ]);
    expect(await query('SELECT job_name, total_runs FROM job_schedules WHERE job_name = $1', [jobName])).toEqual([
      { job_name: jobName, total_runs: 1 },
    ]);
  });

  it('lets only service_role execute the functions in public', async () => {
    const rows = await query<{ name: string; grantees: Record<string, boolean> }>(`
      SELECT p.proname AS name, json_build_object(
        'public', EXISTS (
          SELECT FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
          WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE'
        ),
        'anon', has_function_privilege('anon', p.oid, 'EXECUTE'),
        'authenticated', has_function_privilege('authenticated', p.oid, 'EXECUTE'),
        'service_role', has_function_privilege('service_role', p.oid, 'EXECUTE')
      ) AS grantees
      FROM pg_proc p
      WHERE p.pronamespace = 'public'::regnamespace
        AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
      ORDER BY p.proname`);

    expect(rows.map((r) => r.name)).toEqual(
      expect.arrayContaining(['lock_job_stats', 'record_execution', 'refresh_job_stats', 'upsert_job']),
    );
    for (const { name, grantees } of rows) {
      expect({ name, grantees }).toEqual({
        name,
        grantees: { public: false, anon: false, authenticated: false, service_role: true },
      });
    }
  });

  it("runs the migrations under Supabase's default privileges, which grant EXECUTE on new functions to anon", async () => {
    // Without them the revoke above would go untested: a function the migration forgot would look safe here.
    if (!pool) throw new Error('beforeAll did not run');
    const db = await pool.connect();
    const probe = `public.privileges_probe_${suffix().replace(/-/g, '_')}`;
    try {
      await db.query('BEGIN');
      await db.query(`CREATE FUNCTION ${probe}() RETURNS integer LANGUAGE sql AS 'SELECT 1'`);
      const { rows } = await db.query<{ anon: boolean; authenticated: boolean }>(
        `SELECT has_function_privilege('anon', $1, 'EXECUTE') AS anon,
          has_function_privilege('authenticated', $1, 'EXECUTE') AS authenticated`,
        [`${probe}()`],
      );
      expect(rows).toEqual([{ anon: true, authenticated: true }]);
    } finally {
      await db.query('ROLLBACK');
      db.release();
    }
  });
});
