#!/usr/bin/env bash
# Install the package with its test dependencies and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q ".[test]"
cd tests && python3 -m pytest -q -p no:cacheprovider "$@"
