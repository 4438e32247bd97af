#!/usr/bin/env bash
# Run the core tasklet tests under valgrind memcheck.
#
#   tests/run_valgrind.sh                 # the core modules (several minutes)
#   tests/run_valgrind.sh -k switch       # extra arguments go to pytest
#   tests/run_valgrind.sh --maxfail=1000  # keep going past a failing test
#                                         # (the default stops at the first)
#   ACTORS_BACKEND=greenlet tests/run_valgrind.sh   # the greenlet backend
#
# Exit status: 0 = tests passed and memcheck found no errors;
#             99 = memcheck reported an error (invalid read/write, use of
#                  uninitialised memory, bad free, ...): see the log ($VALGRIND_LOG, default /tmp/actors-valgrind.log);
#              anything else = pytest's own status (a test failed).
#
# Why these settings:
# * ACTORS_ARENA=0 PYTHONMALLOC=malloc_debug: every allocation, Python's and
#   the core's own blocks, goes to malloc, so
#   memcheck sees each block's bounds (pymalloc's arenas would hide
#   overruns); the debug hooks also fill fresh blocks and check guard bytes.
#   Plain PYTHONMALLOC=malloc is not used because CPython 3.11's
#   int.from_bytes (_PyLong_FromByteArray) leaves a digit uninitialised on
#   the import path, and that value then floods the log with hundreds of
#   uninitialised-value reports from ceval.
# * --errors-for-leak-kinds=none --leak-check=no: CPython keeps memory
#   alive at exit by design; leaks are not what this checks.
# * The real interpreter (sys.executable), not a pyenv shim script, is run
#   under valgrind, which does not follow the shim's exec by default.
# * Only the pytest process is checked (no --trace-children): the modules
#   run here keep everything in-process.  test_valgrind.py also runs one
#   crash-prone script (switching under deep C recursion) under memcheck.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
py="$(python3 -c 'import sys; print(sys.executable)')"
log="${VALGRIND_LOG:-${TMPDIR:-/tmp}/actors-valgrind.log}"
modules=(test_tasklet_switch.py test_tasklet_exceptions.py
         test_tasklet_lifecycle.py test_tasklet_context.py
         test_tasklet_trace.py)
set +e
ACTORS_ARENA=0 PYTHONMALLOC=malloc_debug valgrind --tool=memcheck --error-exitcode=99 \
    --errors-for-leak-kinds=none --leak-check=no \
    --suppressions="$here/valgrind-python.supp" \
    --log-file="$log" \
    "$py" -m pytest -q -x -p no:cacheprovider "${modules[@]}" "$@"
status=$?
set -e
grep -h "ERROR SUMMARY" "$log" || true
if [ "$status" -eq 99 ]; then
    echo "memcheck found errors: see $log" >&2
fi
exit "$status"
