#!/usr/bin/env bash
# The native core's tests on the CPythons this machine's Debian lacks, in the
# Debian sid chroot (see sid_chroot.sh; needs root):
#
#   bash .ci/sid_tests.sh [PYTEST-ARGS...]
#
# ACTORS_SID_PYTHONS   what to run, space-separated; an entry NAME+jit runs
#                      NAME with PYTHON_JIT=1.  Default: every interpreter of
#                      ACTORS_SID_VERSIONS (default "3.13 3.14 3.15"), release
#                      and debug build, and the release builds of 3.14+ again
#                      with the JIT on.
# ACTORS_SID_TESTS     the test files (default: the tasklet, actor,
#                      supervisor and cluster tests).
# Every configuration runs even if one fails; the exit status is non-zero
# if any did.  Under CI=true a missing interpreter fails (in_sid_test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

versions=${ACTORS_SID_VERSIONS:-3.13 3.14 3.15}
if [ -z "${ACTORS_SID_PYTHONS:-}" ]; then
    ACTORS_SID_PYTHONS=
    for v in $versions; do
        ACTORS_SID_PYTHONS+=" python$v python${v}d"
        case $v in 3.1[0-3]) ;; *) ACTORS_SID_PYTHONS+=" python$v+jit" ;; esac
    done
fi
if [ -z "${ACTORS_SID_TESTS:-}" ]; then
    ACTORS_SID_TESTS=$(cd tests && ls test_tasklet_*.py test_actors_*.py \
                       test_supervisor.py test_cluster_*.py | tr '\n' ' ')
fi

t0=$SECONDS
bash .ci/sid_chroot.sh setup
echo "sid_tests: chroot ready after $((SECONDS - t0))s"

failed=()
summary=()
for entry in $ACTORS_SID_PYTHONS; do
    py=${entry%+jit}
    jit=0
    [ "$py" != "$entry" ] && jit=1
    t=$SECONDS
    echo "=== $py (PYTHON_JIT=$jit)"
    rc=0
    # shellcheck disable=SC2086
    PYTHON_JIT=$jit bash .ci/sid_chroot.sh run \
        bash .ci/in_sid_test.sh "$py" $ACTORS_SID_TESTS "$@" || rc=$?
    if [ $rc = 77 ]; then                 # no such interpreter, not CI
        summary+=("$entry: skipped (not in the chroot)")
        continue
    fi
    summary+=("$entry: exit $rc, $((SECONDS - t))s")
    [ $rc = 0 ] || failed+=("$entry")
done
echo "=== sid_tests summary"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "sid_tests: failed: ${failed[*]}"
    exit 1
fi
