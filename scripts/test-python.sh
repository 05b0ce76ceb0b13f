#!/usr/bin/env bash
# Tests of the Python tracking client (clients/python), in a virtualenv of their own.
#
#   scripts/test-python.sh [pytest args...]
#
# Creates .venv-python/ at the repository root (gitignored) with pytest, ml-dash==0.11.0 (for the
# compatibility test) and the client installed from clients/python the way users install it, then runs
# pytest on clients/python/tests. Idempotent: the second run skips pip entirely unless the requirements
# or the client's sources changed (then only the client is reinstalled).
#
# Environment: PYTHON (interpreter to build the venv from, default python3, must be >= 3.9),
# LABRUN_PY_VENV (venv folder, default <repo>/.venv-python).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
client="$repo/clients/python"
venv="${LABRUN_PY_VENV:-$repo/.venv-python}"
python="${PYTHON:-python3}"
requirements=("pytest>=7" "ml-dash==0.11.0")

if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null; then
  echo "test-python: needs Python >= 3.9 (set PYTHON=/path/to/python3)" >&2
  exit 1
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "test-python: creating $venv"
  "$python" -m venv "$venv"
fi

# What the venv was built from: the requirements, and a hash of the client's sources.
req_stamp="$(printf '%s\n' "${requirements[@]}" "$("$venv/bin/python" -c 'import sys; print(sys.version)')")"
src_stamp="$(cd "$client" && find pyproject.toml README.md labrun -type f \( -name '*.py' -o -name '*.toml' -o -name '*.md' -o -name 'py.typed' \) -print0 \
  | sort -z | xargs -0 cat | "$venv/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"

export PIP_DISABLE_PIP_VERSION_CHECK=1
if [ "$(cat "$venv/.requirements-stamp" 2>/dev/null || true)" != "$req_stamp" ]; then
  echo "test-python: installing ${requirements[*]}"
  "$venv/bin/python" -m pip install --quiet "${requirements[@]}"
  printf '%s' "$req_stamp" >"$venv/.requirements-stamp"
  rm -f "$venv/.client-stamp"
fi
if [ "$(cat "$venv/.client-stamp" 2>/dev/null || true)" != "$src_stamp" ]; then
  echo "test-python: installing the client from clients/python"
  "$venv/bin/python" -m pip install --quiet --no-deps --force-reinstall "$client"
  # The build leaves these behind in the source tree.
  rm -rf "$client/build" "$client"/*.egg-info
  printf '%s' "$src_stamp" >"$venv/.client-stamp"
fi

# Run from the repository root with the venv's pytest (not `python -m pytest` from clients/python, which
# would import the sources instead of the installed package).
cd "$repo"
exec "$venv/bin/pytest" -p no:cacheprovider -q "$client/tests" "$@"
