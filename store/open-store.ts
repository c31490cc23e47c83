import path from 'node:path';
import type { JobStore } from './job-store';
import { createSqliteStore } from './sqlite/sqlite-store';
import { createSupabaseStore } from './supabase/supabase-store';

export interface OpenStoreOptions {
  supabaseUrl?: string;
  supabaseServiceKey?: string;
  dataDir: string;
}

/** Supabase when both its URL and service key are set (SPEC §1), else the embedded SQLite file in the data directory. */
export function openStore(options: OpenStoreOptions): JobStore {
  if (options.supabaseUrl && options.supabaseServiceKey) {
    return createSupabaseStore(options.supabaseUrl, options.supabaseServiceKey);
  }
  return createSqliteStore(path.join(options.dataDir, 'scheduler.db'));
}
