#!/usr/bin/env bash
# What `make run` runs: install what is missing (scripts/setup.sh), then `harness run -v` with any extra
# arguments. It exits with the harness's own code (0 passed, 1 failed, 2 bad input, 3 infrastructure); GNU make
# turns every failing recipe into its own exit status 2, so a CI that needs the code runs this script.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 3
.venv/bin/harness run -v "$@"
code=$?
case $code in
  0) ;;
  1) echo "harness: exit 1 (an item failed)" >&2 ;;
  2) echo "harness: exit 2 (bad input or usage)" >&2 ;;
  3) echo "harness: exit 3 (infrastructure failure)" >&2 ;;
  *) echo "harness: exit $code" >&2 ;;
esac
exit $code
