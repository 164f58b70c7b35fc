#!/usr/bin/env bash
# Run a benchmark against a throwaway PostgreSQL 15 only; it prints one JSON line.
set -euo pipefail
cd "$(dirname "$0")/.."
bench=$1
shift
# shellcheck source=scripts/pg.sh
source scripts/pg.sh
trap pg_stop EXIT
pg_start
.venv/bin/python "$bench" "$@"
