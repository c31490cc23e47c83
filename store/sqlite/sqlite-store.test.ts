import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeJobStoreContract } from '../../test/contracts/job-store';
import { StoreError } from '../job-store';
import { openStore } from '../open-store';
import { createSqliteStore, createSqliteStoreWithDb } from './sqlite-store';

describeJobStoreContract('SQLite store', async () => {
  const { store, db } = createSqliteStoreWithDb(':memory:');
  return { store, rawQuery: async (sql) => db.prepare<[], Record<string, unknown>>(sql).all() };
});

describe('SQLite store on a file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sqlite-store-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const job = (name: string) => ({
    definition: {
      name,
      service: 'email-service',
      endpoint: `/api/jobs/${name}`,
      method: 'POST' as const,
      cron: '@daily',
      timezone: 'UTC',
      description: '',
      payload: {},
      enabled: true,
      timeoutSeconds: 300,
      retry: { maxAttempts: 5, initialIntervalSeconds: 10, backoffCoefficient: 2, maxIntervalSeconds: 600 },
      overlap: 'skip' as const,
      catchupWindowSeconds: 3600,
      jitterSeconds: 0,
    },
    enabled: true,
    createdAt: '2026-11-26T12:00:00.000Z',
    updatedAt: '2026-11-26T12:00:00.000Z',
  });

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
});
