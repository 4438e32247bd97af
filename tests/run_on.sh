#!/usr/bin/env bash
# Build actors with one interpreter and run test files with it:
#
#   bash tests/run_on.sh PYTHON LABEL [pytest args / test files...]
#
# The source tree is copied first (a build in place would leave artifacts
# of one version for the next), installed with its test extra into a venv
# kept under $ACTORS_VENV_ROOT/LABEL (reused while it is the same Python),
# and pytest runs from the copy's tests/ so that the installed package is
# the one imported.  Works inside the Debian sid chroot too (.ci/sid_chroot.sh
# runs it there with the repository at /src).
set -euo pipefail
python=$1 label=$2
shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
venvs=${ACTORS_VENV_ROOT:-/var/cache/actors-venvs}
venv=$venvs/$label
work=$(mktemp -d "${TMPDIR:-/tmp}/actors-$label.XXXXXX")
trap 'rm -rf "$work"' EXIT

want=$("$python" -c 'import sys; print(sys.version, sys.abiflags)')
if [ ! -x "$venv/bin/python" ] ||
        [ "$("$venv/bin/python" -c 'import sys; print(sys.version, sys.abiflags)' 2>/dev/null)" != "$want" ]; then
    rm -rf "$venv"
    mkdir -p "$venvs"
    "$python" -m venv "$venv"
fi

# The tree without build products (a .so or build/ of another version).
tar -C "$here" --exclude=./.git --exclude=./build --exclude='*.egg-info' \
    --exclude='*.so' --exclude=__pycache__ --exclude='./cython_src/*.c' \
    -cf - . | tar -xf - -C "$work"

echo "== $label: $("$venv/bin/python" -VV | head -1)"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
"$venv/bin/python" -m pip uninstall -q -y actors >/dev/null 2>&1 || true
"$venv/bin/python" -m pip install -q --disable-pip-version-check "$work[test]"
cd "$work/tests"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
