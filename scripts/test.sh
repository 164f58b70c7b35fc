#!/usr/bin/env bash
# The whole test suite: lint, migrations check, then pytest on SQLite and on a throwaway PostgreSQL 15.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export JIESU_DEMO=1 JIESU_FAST_PASSWORD_HASHER=1
export DJANGO_SETTINGS_MODULE=jiesu.test_settings

# Browser tests drive Debian's Chromium through Playwright (never a downloaded browser).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "安装 Chromium（Debian chromium 软件包）…" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "未找到 /usr/bin/chromium，请先安装：sudo apt-get install chromium" >&2
    exit 1
  fi
fi
export JIESU_REQUIRE_BROWSER=1

# The deployment test runs Debian's nginx in front of two gunicorn servers (deploy/nginx).
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "安装 nginx（Debian nginx-light 软件包）…" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
  else
    echo "未找到 nginx（部署测试将跳过）：sudo apt-get install nginx-light" >&2
  fi
fi

echo "== ruff" && $BIN/ruff check jiesu benchmarks
echo "== migrations" && $BIN/jiesu makemigrations --check --dry-run >/dev/null

echo "== pytest · SQLite"
unset DATABASE_URL
$BIN/pytest "$@"

# The same suite with the clock pinned at two awkward moments: just after local midnight on a 春节 holiday
# (still the previous day in UTC), and ten minutes before 国庆 begins (the clock ticks on across midnight).
for moment in 2026-02-16T00:30:00+08:00 2026-09-30T23:50:00+08:00; do
  echo "== pytest · SQLite · clock pinned at $moment"
  JIESU_TEST_NOW=$moment $BIN/pytest -m "not whole_site and not servers" "$@"
done

echo "== pytest · PostgreSQL"
# shellcheck source=scripts/pg.sh
source scripts/pg.sh
trap pg_stop EXIT
pg_start
$BIN/pytest "$@"
