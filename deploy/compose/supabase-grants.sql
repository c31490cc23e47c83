-- A plain PostgreSQL made Supabase-like, step 3, after the migrations (supabase-migrate.sh, test/support/postgres.ts).
-- What Supabase's default privileges give the API roles on the tables and sequences migrations create (row level
-- security decides what anon and authenticated may do with them: with the scheduler's migration, nothing; only
-- service_role, which bypasses RLS, reads and writes the mirror).
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
GRANT ALL ON ALL TABLES IN SCHEMA public TO anon, authenticated, service_role;
GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO anon, authenticated, service_role;
