-- A plain PostgreSQL made Supabase-like, step 2, in the mirror's database before the migrations: Supabase's default
-- privileges in public for the role that runs the migrations, so the API roles may execute every function a
-- migration creates unless the migration revokes it (the scheduler's migration does). Used by supabase-migrate.sh
-- and test/support/postgres.ts.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon, authenticated, service_role;
