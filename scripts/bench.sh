#!/usr/bin/env bash
# Run a benchmark against SQLite and against a throwaway PostgreSQL 15; each run prints one JSON line.
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${1:-benchmarks/intake.py}
shift || true
unset DATABASE_URL
.venv/bin/python "$bench" "$@"
# shellcheck source=scripts/pg.sh
source scripts/pg.sh
trap pg_stop EXIT
pg_start
.venv/bin/python "$bench" "$@"
