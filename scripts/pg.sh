#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests and benchmarks.
#   source scripts/pg.sh; pg_start   → exports DATABASE_URL; pg_stop removes the cluster.
# Uses the machine's PostgreSQL 15 binaries, installing Debian's postgresql package if they are missing.

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/15/bin "$(pg_config --bindir 2>/dev/null)"; do
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  return 1
}

pg_ensure_installed() {
  pg_bindir >/dev/null && return 0
  if [ "$(id -u)" = 0 ]; then
    echo "安装 PostgreSQL 15（Debian postgresql 软件包）…" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "未找到 PostgreSQL 15，请先安装：sudo apt-get install postgresql" >&2
    return 1
  fi
  pg_bindir >/dev/null
}

# Run as the cluster's owner from inside its folder (the caller's cwd may be closed to that user).
pg_as_owner() {
  (cd "$PG_TMP" && "${PG_RUN[@]}" "$@")
}

pg_start() {
  pg_ensure_installed || return 1
  local bin port
  bin=$(pg_bindir)
  PG_TMP=$(mktemp -d /tmp/jiesu-pg.XXXXXX)
  PG_RUN=()
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root: the cluster belongs to the postgres user.
    chown postgres "$PG_TMP"
    PG_RUN=(runuser -u postgres --)
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  pg_as_owner "$bin/initdb" -D "$PG_TMP/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  pg_as_owner "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -o \
    "-p $port -k $PG_TMP -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 ${PG_EXTRA_OPTS:-}" \
    start >/dev/null
  PG_BIN=$bin
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/jiesu"
  "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres jiesu
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') 临时集群：127.0.0.1:$port（$PG_TMP）" >&2
}

pg_stop() {
  if [ -n "${PG_TMP:-}" ] && [ -d "$PG_TMP" ]; then
    pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
    unset DATABASE_URL PG_TMP
  fi
}
