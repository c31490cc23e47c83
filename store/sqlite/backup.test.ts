import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startedExecution } from '../../jobs/execution';
import { backupSqlite } from './backup';
import { createSqliteStoreWithDb } from './sqlite-store';

describe('backupSqlite: an online backup of the live mirror', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sqlite-backup-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const rowsIn = (file: string) => {
    const db = new Database(file, { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM scheduled_jobs').get() as { n: number }).n;
    } catch {
      return 0; // a copy without the log may not even have the table yet
    } finally {
      db.close();
    }
  };

  test('has every row of a database the service is still writing in WAL mode; a plain copy of the file does not', async () => {
    const live = path.join(dir, 'scheduler.db');
    const { store, db } = createSqliteStoreWithDb(live);
    try {
      const record = (i: number) =>
        store.recordExecution(
          startedExecution({
            id: `job-run-digest-manual-${i}`,
            jobName: 'digest',
            service: 'email-service',
            trigger: 'manual',
            triggeredBy: 'alice',
            retryOf: null,
            scheduledAt: null,
            startedAt: new Date(Date.UTC(2026, 10, 29, 12, 0, i)).toISOString(),
            runId: null,
          }),
        );
      for (let i = 0; i < 200; i++) await record(i);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');

      const plain = path.join(dir, 'plain-copy.db');
      copyFileSync(live, plain); // what `cp data/scheduler.db` does while the service runs
      expect(rowsIn(plain)).toBeLessThan(200); // the rows still in scheduler.db-wal are lost

      // the service keeps writing while the backup runs
      const backup = path.join(dir, 'backup.db');
      const [pages] = await Promise.all([backupSqlite(live, backup), record(200)]);
      expect(pages).toBeGreaterThan(0);
      expect(rowsIn(backup)).toBeGreaterThanOrEqual(200);
      expect(rowsIn(backup)).toBeLessThanOrEqual(201);
      await expect(backupSqlite(live, backup)).rejects.toThrow(/exists: a backup never overwrites/);
    } finally {
      await store.close();
    }
  });
});
