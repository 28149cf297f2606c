#!/bin/sh
# Run once by the postgres image on a new data folder (docker-compose.yml mounts it into
# /docker-entrypoint-initdb.d): the role the streaming standby replicates as, and the pg_hba.conf line that
# lets it in. Nothing the toolkit connects as has REPLICATION.
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set password="${QUEACCOUNT_REPLICATION_PASSWORD:-replicator}" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
