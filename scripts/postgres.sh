#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests (Debian's postgresql package):
#
#   scripts/postgres.sh start DIR PORT   initdb in DIR, start on 127.0.0.1:PORT, create the
#                                         database `likeness` and print its URL
#   scripts/postgres.sh stop DIR          stop it (DIR is left for a look; delete it yourself)
#
# LIKENESS_POSTGRES_OPTIONS adds server options at start (`-c name=value ...`), as the benchmarks'
# statement statistics do.
# PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user.
# Connections need a password (scram-sha-256), so the tests also use LIKENESS_DATABASE_PASSWORD_FILE.
set -euo pipefail

command=${1:?usage: postgres.sh start DIR PORT | stop DIR}
dir=${2:?the cluster directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [[ -z "$bin" ]]; then
    echo "PostgreSQL is not installed (scripts/bootstrap.sh installs it)" >&2
    exit 1
fi
as_owner=()
[[ "$(id -u)" == 0 ]] && as_owner=(runuser -u postgres --)

case "$command" in
start)
    port=${3:?the port}
    password=likeness-test
    if [[ ! -f "$dir/PG_VERSION" ]]; then
        mkdir -p "$dir"
        [[ "$(id -u)" == 0 ]] && chown postgres "$dir"
        printf '%s\n' "$password" >"$dir.pw"
        chmod 644 "$dir.pw"
        "${as_owner[@]}" "$bin/initdb" -D "$dir" -U likeness --pwfile="$dir.pw" --auth=scram-sha-256 \
            --no-sync >"$dir.initdb.log"
    fi
    # fsync off: a test cluster lives for one run; nothing in it needs to survive a power cut.
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w start \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 ${LIKENESS_POSTGRES_OPTIONS:-}" >/dev/null
    PGPASSWORD=$password "$bin/psql" -h 127.0.0.1 -p "$port" -U likeness -d postgres -qtc \
        "SELECT 1 FROM pg_database WHERE datname = 'likeness'" | grep -q 1 ||
        PGPASSWORD=$password "$bin/createdb" -h 127.0.0.1 -p "$port" -U likeness likeness
    echo "postgres://likeness:$password@127.0.0.1:$port/likeness?sslmode=disable"
    ;;
stop)
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
    ;;
*)
    echo "usage: postgres.sh start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
