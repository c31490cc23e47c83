import path from 'node:path';
import { ConfigError, loadConfig } from '../config/config';
import { backupSqlite } from '../store/sqlite/backup';

/** `npm run backup -- <destination>`: an online backup of `$SCHEDULER_DATA_DIR/scheduler.db`, safe while it serves. */
async function main(): Promise<void> {
  const destination = process.argv[2];
  if (!destination) throw new Error('usage: npm run backup -- <destination file>');
  const { store } = loadConfig();
  if (store.supabaseUrl) throw new Error('SUPABASE_URL is set: the mirror is in Supabase; back it up there');
  const source = path.join(store.dataDir, 'scheduler.db');
  const pages = await backupSqlite(source, destination);
  console.log(`backed up ${source} to ${destination} (${pages} pages)`);
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError ? `bad configuration: ${err.message}` : (err as Error).message;
  console.error(`backup: ${message}`);
  process.exit(1);
});
