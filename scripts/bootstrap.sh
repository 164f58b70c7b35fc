#!/usr/bin/env bash
# Create the virtual environment and install jiesu with its development tools.
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "jiesu 需要 Python 3.11 或更新版本（当前：$("$python" --version 2>&1)）" >&2
  exit 1
fi
if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
  # Debian splits venv out of the interpreter package.
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq python3-venv; else
    echo "请先安装 python3-venv（sudo apt-get install python3-venv）" >&2; exit 1; fi
fi
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[dev]'
