#!/usr/bin/env bash
# Run inside the sid chroot (see sid_chroot.sh), from /src:
#
#   bash .ci/in_sid_test.sh PYTHON [PYTEST-ARGS...]
#
# PYTHON is python3.14, python3.14d (debug build), ... .  Makes (or reuses)
# the venv /opt/venv-3.14 (/opt/venv-3.14d), installs ".[test]" from a copy
# of /src (a build in place would leave build/ and .so files in the
# repository), and runs pytest from the copy's tests/ with the rest of the
# arguments (test files relative to tests/, options).  PYTHON_JIT and the
# other variables sid_chroot.sh passes through reach pytest.  Under CI=true
# a missing interpreter is a failure, as everywhere else.
set -euo pipefail
PY=${1:?usage: in_sid_test.sh PYTHON [PYTEST-ARGS...]}
shift
if ! command -v "$PY" >/dev/null; then
    echo "in_sid_test: no $PY here" >&2
    if [ "${CI:-}" = true ]; then exit 1; fi
    exit 77
fi
tag=${PY#python}                        # 3.14, 3.14d
venv=/opt/venv-$tag
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import pip' 2>/dev/null; then
    rm -rf "$venv"
    "$PY" -m venv "$venv"
fi
src=/tmp/src-$tag
rm -rf "$src"
mkdir -p "$src"
# The tracked tree and uncommitted edits, without build products.
tar -C /src --exclude=./build --exclude='./*.egg-info' --exclude='*.so' \
    --exclude=__pycache__ --exclude=.git -cf - . | tar -C "$src" -xf -
t0=$SECONDS
"$venv/bin/python" -m pip uninstall -q -y actors 2>/dev/null || true
"$venv/bin/python" -m pip install -q "$src[test]"
echo "in_sid_test: $("$venv/bin/python" -c 'import sys; print(sys.version.split()[0])') ($PY) installed in $((SECONDS - t0))s"
cd "$src/tests"
rc=0
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$@" || rc=$?
echo "in_sid_test: $PY pytest exit $rc after $((SECONDS - t0))s"
exit $rc
