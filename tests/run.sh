#!/usr/bin/env bash
# The test command: install what the suite needs on a fresh machine (Debian
# packages from .ci/debian-packages.txt when apt-get is there and we are
# root, the package with its test and bench extras from PyPI), then run pytest.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2046
    apt-get install -y -qq --no-install-recommends \
        $(grep -v '^#' .ci/debian-packages.txt) >/dev/null
fi
# bench too: gevent, whose own tests run against actors.greenlet (only
# here: the other interpreters' debug builds have no gevent wheel).
python3 -m pip install -q ".[test,bench]"
# Other CPython versions run too (tests/test_interpreters.py; the sid
# chroot it uses needs root).
export ACTORS_TEST_INTERPRETERS=${ACTORS_TEST_INTERPRETERS:-1}
# From tests/, so that `import actors` finds the installed package (with its
# compiled core), not the source folder.
cd tests && exec python3 -m pytest -q -p no:cacheprovider "$@"
