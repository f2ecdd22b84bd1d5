#!/bin/sh
# contrib/quickstart.sh: install what is missing, build, and run the demo.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. contrib/deps.sh
pc_need_packages $PC_BUILD_PACKAGES
build=${PC_BUILD:-$top/_build}
pc_build "$build"
"$build/policy-check" --version
