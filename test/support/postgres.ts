import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';

const HOST = '127.0.0.1';
const PORT = 5432;
const MIGRATIONS_DIR = path.resolve(__dirname, '../../supabase/migrations');
/** Any constant: it only keeps concurrent setups from racing on the cluster-wide roles. */
const ROLES_LOCK = 20261126;

export interface TestDatabase {
  database: string;
  /** A superuser connection string, for direct SQL. */
  url: string;
  drop(): Promise<void>;
}

const postgresUser = () => process.env.PGUSER || 'postgres';

export function databaseUrl(database: string, user = postgresUser()): string {
  return `postgres://${encodeURIComponent(user)}@${HOST}:${PORT}/${encodeURIComponent(database)}`;
}

export async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Supabase's roles, default privileges and grants: the same files docker-compose.yml's supabase-migrate runs. */
const SETUP_DIR = path.resolve(__dirname, '../../deploy/compose');
const setupSql = (name: string) => readFile(path.join(SETUP_DIR, `supabase-${name}.sql`), 'utf8');

/**
 * A fresh database `scheduler_test_<random>` with Supabase's roles and default privileges, and every migration applied,
 * in name order.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const database = `scheduler_test_${randomBytes(6).toString('hex')}`;
  const adminUrl = databaseUrl('postgres');
  await withClient(adminUrl, async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [ROLES_LOCK]);
    try {
      await client.query(await setupSql('roles'));
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [ROLES_LOCK]);
    }
    await client.query(`CREATE DATABASE "${database}"`);
  });
  const url = databaseUrl(database);
  const drop = () =>
    withClient(
      adminUrl,
      async (client) => void (await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)),
    );
  try {
    const migrations = (await readdir(MIGRATIONS_DIR)).filter((name) => name.endsWith('.sql')).sort();
    await withClient(url, async (client) => {
      await client.query(await setupSql('default-privileges'));
      for (const name of migrations) {
        try {
          await client.query(await readFile(path.join(MIGRATIONS_DIR, name), 'utf8'));
        } catch (err) {
          throw new Error(`migration ${name} failed: ${(err as Error).message}`, { cause: err });
        }
      }
      await client.query(await setupSql('grants'));
    });
  } catch (err) {
    await drop();
    throw err;
  }
  return { database, url, drop };
}
