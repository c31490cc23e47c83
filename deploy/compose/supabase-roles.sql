-- A plain PostgreSQL made Supabase-like, step 1: the API roles that supabase/postgres creates and that
-- supabase/migrations/*.sql grants to, and the login role PostgREST connects as. Roles are cluster-wide; every
-- statement is idempotent. Run by supabase-migrate.sh (docker compose) and by test/support/postgres.ts (tests).

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
-- PostgREST logs in as authenticator and switches to the role named in the request's JWT (anon without one).
GRANT anon, authenticated, service_role TO authenticator;
