import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeJobStoreContract, jobRecord, REFUSED_TEXT } from '../../test/contracts/job-store';
import { startedExecution } from '../../jobs/execution';
import { NO_TIMES, StoreError } from '../job-store';
import { openStore } from '../open-store';
import { createSqliteStore, createSqliteStoreWithDb, JOB_HEALTH_READS } from './sqlite-store';

describeJobStoreContract('SQLite store', async () => {
  const { store, db } = createSqliteStoreWithDb(':memory:');
  for (const event of ['INSERT', 'UPDATE']) {
    db.exec(`CREATE TRIGGER contract_refusal_${event} BEFORE ${event} ON scheduled_jobs
      WHEN instr(coalesce(NEW.response, '') || coalesce(NEW.error, ''), '${REFUSED_TEXT}') > 0
      BEGIN SELECT RAISE(ABORT, 'refused by the contract rule'); END`);
  }
  return { store, rawQuery: async (sql) => db.prepare<[], Record<string, unknown>>(sql).all() };
});

describe('SQLite store query plans', () => {
  it.each(Object.entries(JOB_HEALTH_READS))(
    "a health recount read (%s) searches the job's own rows, not every row of a status",
    (_, sql) => {
      const { db } = createSqliteStoreWithDb(':memory:');
      const plan = db
        .prepare<{ job_name: string; after: null }, { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
        .all({ job_name: 'a-job', after: null })
        .map((step) => step.detail)
        .filter((detail) => detail.includes('scheduled_jobs'));
      expect(plan.length).toBeGreaterThan(0);
      for (const step of plan)
        expect(step).toBe('SEARCH scheduled_jobs USING INDEX scheduled_jobs_job_completed_idx (job_name=?)');
      db.close();
    },
  );
});

const job = (name: string, service = 'email-service') => jobRecord(name, service);

describe('SQLite store: a long list of jobs', () => {
  it('is read whole, in name order, with its filters and limit, and lets a call made meanwhile be answered first', async () => {
    const store = createSqliteStore(':memory:');
    // written out of name order, two services interleaved: 350 jobs, more than three statements' worth
    const names = Array.from({ length: 350 }, (_, i) => `job-${String((i * 11) % 350).padStart(3, '0')}`);
    for (const [i, name] of names.entries()) await store.upsertJob(job(name, i % 2 ? 'odd-service' : 'even-service'));
    const sorted = [...names].sort();
    const namesOf = (rows: { definition: { name: string } }[]) => rows.map((row) => row.definition.name);

    const order: string[] = [];
    const whole = store.listJobs({}).then((rows) => (order.push('list'), rows));
    const one = new Promise((resolve) => setImmediate(resolve))
      .then(() => store.getJob('job-000'))
      .then(() => order.push('get'));
    expect(namesOf(await whole)).toEqual(sorted);
    await one;
    expect(order).toEqual(['get', 'list']);

    expect(namesOf(await store.listJobs({ limit: 230 }))).toEqual(sorted.slice(0, 230));
    expect(namesOf(await store.listJobs({ after: sorted[99], limit: 201 }))).toEqual(sorted.slice(100, 301));
    expect(namesOf(await store.listJobs({ after: sorted[40] }))).toEqual(sorted.slice(41));
    const odd = names.filter((_, i) => i % 2).sort();
    expect(namesOf(await store.listJobs({ service: 'odd-service' }))).toEqual(odd);
    expect(await store.listJobs({ limit: 0 })).toEqual([]);
    await store.close();
  });
});

describe('SQLite store on a file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sqlite-store-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const NOW = '2026-11-26T12:00:00.000Z';

  it('creates the directory, uses WAL and keeps its rows across reopening', async () => {
    const file = path.join(dir, 'nested', 'deeper', 'scheduler.db');
    const { store, db } = createSqliteStoreWithDb(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    await store.upsertJob(job('weekly-digest'));
    await store.close();

    const reopened = createSqliteStore(file);
    expect((await reopened.getJob('weekly-digest'))?.definition.name).toBe('weekly-digest');
    await reopened.close();
  });

  it('turns a failure into a StoreError', async () => {
    const store = createSqliteStore(path.join(dir, 'scheduler.db'));
    await store.close();
    await expect(store.ping()).rejects.toBeInstanceOf(StoreError);
    await expect(store.upsertJob(job('after-close'))).rejects.toThrow(/store operation upsertJob failed/);
  });

  it('is what openStore opens without Supabase settings, at <dataDir>/scheduler.db', async () => {
    for (const options of [{ dataDir: dir }, { dataDir: dir, supabaseUrl: 'http://127.0.0.1:9' }]) {
      const store = openStore(options);
      await store.upsertJob(job('opened'));
      await store.close();
    }
    expect(existsSync(path.join(dir, 'scheduler.db'))).toBe(true);
    const reopened = createSqliteStore(path.join(dir, 'scheduler.db'));
    expect((await reopened.listJobs({})).map((j) => j.definition.name)).toEqual(['opened']);
    await reopened.close();
  });

  it('opens a file of the first release: job_schedules gains the columns added since, and its rows stay', async () => {
    const file = path.join(dir, 'old.db');
    const old = new Database(file);
    old.exec(`CREATE TABLE job_schedules (
      job_name TEXT NOT NULL PRIMARY KEY, service TEXT NOT NULL, endpoint TEXT NOT NULL, method TEXT NOT NULL,
      cron_expression TEXT NOT NULL, timezone TEXT NOT NULL, enabled INTEGER NOT NULL DEFAULT 1,
      description TEXT NOT NULL DEFAULT '', payload TEXT NOT NULL DEFAULT '{}', definition TEXT NOT NULL,
      total_runs INTEGER NOT NULL DEFAULT 0, successful_runs INTEGER NOT NULL DEFAULT 0,
      failed_runs INTEGER NOT NULL DEFAULT 0, last_run_at TEXT, last_status TEXT, last_execution_id TEXT,
      last_completed_at TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL) STRICT`);
    const { definition } = job('from-before');
    old
      .prepare(
        `INSERT INTO job_schedules (job_name, service, endpoint, method, cron_expression, timezone, definition,
          created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run('from-before', 'email-service', '/x', 'POST', '@daily', 'UTC', JSON.stringify(definition), NOW, NOW);
    // before 0.2.0 `enabled` meant "not paused": an admin's pause, and a job registered with enabled: false
    const insertPaused = old.prepare(
      `INSERT INTO job_schedules (job_name, service, endpoint, method, cron_expression, timezone, enabled, definition,
        created_at, updated_at) VALUES (?, 'email-service', '/x', 'POST', '@daily', 'UTC', 0, ?, ?, ?)`,
    );
    insertPaused.run('admin-paused', JSON.stringify(job('admin-paused').definition), NOW, NOW);
    insertPaused.run('disabled', JSON.stringify({ ...job('disabled').definition, enabled: false }), NOW, NOW);
    old.close();

    const store = createSqliteStore(file);
    const converted = new Database(file, { readonly: true });
    expect(converted.prepare('SELECT job_name, enabled, paused FROM job_schedules ORDER BY job_name').all()).toEqual([
      { job_name: 'admin-paused', enabled: 1, paused: 1 },
      { job_name: 'disabled', enabled: 0, paused: 0 },
      { job_name: 'from-before', enabled: 1, paused: 0 },
    ]);
    converted.close();
    expect(await store.getJob('from-before')).toMatchObject({
      paused: false,
      pauseNote: null,
      scheduleNote: null,
      times: NO_TIMES,
      scheduleUpdatedAt: null,
      pruned: { totalRuns: 0, successfulRuns: 0, failedRuns: 0 }, // history retention's counts, from 0
    });
    await expect(store.pruneExecutions(NOW, 500)).resolves.toBe(0);
    const times = { nextRunTimes: ['2026-11-27T00:00:00.000Z'], skipped: 0, missed: 0 };
    await store.upsertJob({ ...job('from-before'), times, scheduleUpdatedAt: NOW });
    expect((await store.getJob('from-before'))?.times).toEqual(times);
    await store.close();
  });

  it('opens a file from before run health: each job has its health recounted from its rows', async () => {
    const file = path.join(dir, 'before-health.db');
    const { store, db } = createSqliteStoreWithDb(file);
    await store.upsertJob(job('from-before'));
    const run = (id: string, n: number, status: 'succeeded' | 'failed') => ({
      ...startedExecution({
        id,
        jobName: 'from-before',
        service: 'email-service',
        trigger: 'schedule' as const,
        triggeredBy: null,
        retryOf: null,
        scheduledAt: null,
        startedAt: `2026-11-26T12:00:0${n}.000Z`,
        runId: null,
      }),
      status,
      completedAt: `2026-11-26T12:00:0${n + 1}.000Z`,
      durationMs: 1000 * n,
    });
    for (const e of [run('a', 1, 'succeeded'), run('b', 3, 'failed'), run('c', 5, 'failed')]) {
      await store.recordExecution(e);
    }
    const health = (await store.getJob('from-before'))?.health;
    // the file as the release before wrote it: no health columns, nor their indexes
    db.exec('DROP INDEX job_schedules_failing_idx');
    db.exec('DROP INDEX scheduled_jobs_job_completed_idx');
    db.exec('DROP INDEX scheduled_jobs_retry_of_idx');
    for (const column of ['last_success_at', 'last_failure_at', 'consecutive_failures', 'pruned_failure_streak']) {
      db.exec(`ALTER TABLE job_schedules DROP COLUMN ${column}`);
    }
    for (const column of ['duration_p50_ms', 'duration_p95_ms', 'recent_runs']) {
      db.exec(`ALTER TABLE job_schedules DROP COLUMN ${column}`);
    }
    await store.close();

    const reopened = createSqliteStore(file);
    expect((await reopened.getJob('from-before'))?.health).toEqual(health);
    expect(health).toEqual({
      lastSuccessAt: '2026-11-26T12:00:02.000Z',
      lastFailureAt: '2026-11-26T12:00:06.000Z',
      consecutiveFailures: 2,
      durations: { p50Ms: 3000, p95Ms: 5000 },
      recentRuns: [
        { id: 'c', status: 'failed', startedAt: '2026-11-26T12:00:05.000Z' },
        { id: 'b', status: 'failed', startedAt: '2026-11-26T12:00:03.000Z' },
        { id: 'a', status: 'succeeded', startedAt: '2026-11-26T12:00:01.000Z' },
      ],
    });
    expect((await reopened.listJobs({ failing: true })).map((j) => j.definition.name)).toEqual(['from-before']);
    await reopened.close();
  });
});
