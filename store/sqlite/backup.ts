import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * Copies a live SQLite mirror with SQLite's online backup API: a consistent snapshot that includes what is still
 * in the write-ahead log (a plain copy of the file loses those rows), taken while the service keeps writing.
 * @returns the pages copied.
 * @throws Error when `source` does not exist or `destination` already does (a backup never overwrites).
 */
export async function backupSqlite(source: string, destination: string): Promise<number> {
  if (existsSync(destination)) throw new Error(`${destination} exists: a backup never overwrites a file`);
  const db = new Database(source, { fileMustExist: true });
  try {
    return (await db.backup(destination)).totalPages;
  } finally {
    db.close();
  }
}
