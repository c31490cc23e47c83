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

export const postgresUser = () => process.env.PGUSER || 'postgres';

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

/** Supabase's API roles, as supabase/postgres creates them. Roles are cluster-wide, so this is idempotent. */
const ROLES_SQL = `
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN NOINHERIT; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticator') THEN
    CREATE ROLE authenticator LOGIN NOINHERIT;
  END IF;
END
$$;
ALTER ROLE service_role BYPASSRLS;
GRANT anon, authenticated, service_role TO authenticator;
`;

/**
 * Supabase's default privileges in public (supabase/postgres sets them for the role that runs migrations): the API
 * roles may execute every function a migration creates unless the migration revokes it. Set before the migrations
 * run, so the tests see what a migration's own grants and revokes leave, as on Supabase.
 */
const DEFAULT_PRIVILEGES_SQL = `
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon, authenticated, service_role;
`;

/**
 * What Supabase's default privileges give the API roles on the tables and sequences that migrations create (RLS
 * decides what anon and authenticated can do with them). Functions are left to the default privileges above.
 */
const GRANTS_SQL = `
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
GRANT ALL ON ALL TABLES IN SCHEMA public TO anon, authenticated, service_role;
GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO anon, authenticated, service_role;
`;

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
      await client.query(ROLES_SQL);
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
      await client.query(DEFAULT_PRIVILEGES_SQL);
      for (const name of migrations) {
        try {
          await client.query(await readFile(path.join(MIGRATIONS_DIR, name), 'utf8'));
        } catch (err) {
          throw new Error(`migration ${name} failed: ${(err as Error).message}`, { cause: err });
        }
      }
      await client.query(GRANTS_SQL);
    });
  } catch (err) {
    await drop();
    throw err;
  }
  return { database, url, drop };
}
