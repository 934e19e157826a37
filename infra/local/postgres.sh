#!/usr/bin/env bash
# A PostgreSQL for the project's tests: Debian's `postgresql`, a cluster on 127.0.0.1:5432, a `test`
# database, and the `postgres` role's password in ~/.pgpass (made here, never in the repository), so
# the tests' postgresql://postgres@127.0.0.1:5432/test connects. Where none of that is possible (not
# root, no apt-get, no network to the package mirror), it says why and exits 0: those tests then skip
# with the reason.
set -uo pipefail

say() { echo "postgres: $*" >&2; }

"$(dirname "$0")/apt-install.sh" postgresql
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  say "Debian's postgresql is not installed; PostgreSQL tests will skip"
  exit 0
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
  pg_createcluster "$version" main >/dev/null || { say "could not create a cluster"; exit 0; }
fi
if ! pg_lsclusters -h | awk '$1=="'"$version"'" && $2=="main" {print $4}' | grep -qx online; then
  pg_ctlcluster "$version" main start || { say "the cluster would not start"; exit 0; }
fi

as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pgpass="${HOME}/.pgpass"
if ! grep -qs '^127.0.0.1:5432:\*:postgres:' "$pgpass"; then
  password=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  as_postgres psql -q -c "ALTER ROLE postgres PASSWORD '${password}'" >/dev/null || { say "could not set a password"; exit 0; }
  umask 077
  echo "127.0.0.1:5432:*:postgres:${password}" >>"$pgpass"
fi
if ! as_postgres psql -tAq -c "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -qx 1; then
  as_postgres createdb test
fi
say "ready on 127.0.0.1:5432 (database test)"
