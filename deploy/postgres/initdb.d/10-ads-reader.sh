#!/usr/bin/env bash
# Creates ads_reader: the least-privilege role for replication (dlt reads the source with it).
# It may connect to the source database and SELECT every table in schema public, including
# tables created later by the owner (default privileges) -- and nothing else: no writes, no
# DDL, no other schemas, and read-only transactions by default as a second guard.
#
# The postgres image runs this once, on an empty data directory, as the superuser
# POSTGRES_USER (who also owns the tables the seed generator creates). It may be executed or
# sourced by the image's entrypoint, so it neither sets shell options nor calls exit.
# Checked against a real PostgreSQL by hand (see docs/server_mode.md, "What is tested where").

: "${POSTGRES_READER_PASSWORD:?POSTGRES_READER_PASSWORD must be set (see .env.example)}"

# The quoted heredoc keeps the shell out of the SQL; psql fills :'x' (literal) and :"x"
# (identifier) from the -v variables, so passwords and names are quoted correctly.
psql -v ON_ERROR_STOP=1 \
    --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v reader_password="$POSTGRES_READER_PASSWORD" \
    -v owner="$POSTGRES_USER" \
    -v db="$POSTGRES_DB" <<'SQL'
create role ads_reader with login password :'reader_password'
    nosuperuser nocreatedb nocreaterole noreplication;
alter role ads_reader set default_transaction_read_only = on;

grant connect on database :"db" to ads_reader;
grant usage on schema public to ads_reader;
grant select on all tables in schema public to ads_reader;
-- Tables the owner creates from now on (the seed generator's migrations run after this).
alter default privileges for role :"owner" in schema public grant select on tables to ads_reader;
SQL
