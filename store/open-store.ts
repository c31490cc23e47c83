import path from 'node:path';
import type { JobStore } from './job-store';
import type * as Sqlite from './sqlite/sqlite-store';
import type * as Supabase from './supabase/supabase-store';

export interface OpenStoreOptions {
  supabaseUrl?: string;
  supabaseServiceKey?: string;
  dataDir: string;
}

/** Supabase when both its URL and service key are set (SPEC §1), else the embedded SQLite file in the data directory.
 * Each implementation is loaded only when chosen: supabase-js alone costs ~13 MiB of a 256 MiB pod. */
export function openStore(options: OpenStoreOptions): JobStore {
  if (options.supabaseUrl && options.supabaseServiceKey) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createSupabaseStore } = require('./supabase/supabase-store') as typeof Supabase;
    return createSupabaseStore(options.supabaseUrl, options.supabaseServiceKey);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createSqliteStore } = require('./sqlite/sqlite-store') as typeof Sqlite;
  return createSqliteStore(path.join(options.dataDir, 'scheduler.db'));
}
