#!/bin/sh
# LOCAL DOCKER COMPOSE ONLY: the `supabase-migrate` one-shot service of docker-compose.yml.
#
# Makes the `supabase-db` PostgreSQL Supabase-like and applies supabase/migrations/*.sql to it, as `supabase db push`
# would on a real project:
#   1. supabase-roles.sql   Supabase's API roles (anon, authenticated, service_role) and PostgREST's login role
#                           (authenticator), given its password; then supabase-default-privileges.sql. Idempotent.
#   2. each migration not yet applied, in name order, in one transaction with its bookkeeping row in
#      supabase_migrations.schema_migrations (the table `supabase db push` records in), so that a second
#      `docker compose up` skips it instead of failing on `create table`.
#   3. supabase-grants.sql  Supabase's grants on the tables the migrations created; idempotent.
#   4. NOTIFY pgrst         PostgREST reloads its schema cache (it may already be running on a later `up`).
#
# Connection: the standard libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE), set in compose.
# Inputs: AUTHENTICATOR_PASSWORD; MIGRATIONS_DIR (default /migrations); this script's directory holds the SQL files.
set -eu

MIGRATIONS_DIR="${MIGRATIONS_DIR:-/migrations}"
SQL_DIR="$(cd "$(dirname "$0")" && pwd)"
: "${AUTHENTICATOR_PASSWORD:?AUTHENTICATOR_PASSWORD must be set}"

run_psql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
# Notices such as "role is already a member" on every later run are noise.
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

# depends_on already waits for the healthcheck; this also covers running the script by hand.
tries=0
until pg_isready -q; do
  tries=$((tries + 1))
  [ "$tries" -ge 60 ] && { echo "supabase-migrate: PostgreSQL is not ready" >&2; exit 1; }
  sleep 1
done

run_psql -f "$SQL_DIR/supabase-roles.sql"
# The postgres image requires a password for TCP connections (scram-sha-256); this one is a dev-only value.
run_psql -v authenticator_password="$AUTHENTICATOR_PASSWORD" <<'SQL'
ALTER ROLE authenticator WITH LOGIN PASSWORD :'authenticator_password';
SQL
run_psql -f "$SQL_DIR/supabase-default-privileges.sql"

run_psql <<'SQL'
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
  version text primary key,
  statements text[],
  name text
);
SQL

applied=0
for file in "$MIGRATIONS_DIR"/*.sql; do
  [ -e "$file" ] || continue
  base="$(basename "$file" .sql)"
  version="${base%%_*}"
  name="${base#*_}"
  done_already="$(run_psql -tA -v version="$version" <<'SQL'
select count(*) from supabase_migrations.schema_migrations where version = :'version';
SQL
)"
  if [ "$done_already" != "0" ]; then
    echo "supabase-migrate: $base already applied"
    continue
  fi
  echo "supabase-migrate: applying $base"
  # ON_ERROR_STOP: psql exits at the first error; the open transaction is rolled back, nothing is recorded.
  run_psql -v version="$version" -v name="$name" -v file="$file" <<'SQL'
begin;
\i :file
insert into supabase_migrations.schema_migrations (version, name) values (:'version', :'name');
commit;
SQL
  applied=$((applied + 1))
done

run_psql -f "$SQL_DIR/supabase-grants.sql"
run_psql -c "NOTIFY pgrst, 'reload schema'"
echo "supabase-migrate: done ($applied migration(s) applied)"
