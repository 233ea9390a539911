#!/usr/bin/env bash
# The engine and its tests built with AddressSanitizer and UndefinedBehaviorSanitizer
# (-DTPT_SANITIZE=ON), then the engine tests run under them. Any sanitizer report stops the
# test that triggered it, so the test fails. The GUI is left out (Qt is not instrumented and
# its tests add nothing the engine tests do not cover here).
#
#   tests/sanitize.sh [BUILD_DIR] [CTEST_ARGS...]   # default BUILD_DIR: build-asan
#
# A full compile with sanitizers takes a while (about half an hour on 2 cores); the tests run
# 2-3x slower than in a plain build. See docs/testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${1:-build-asan}
shift || true

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTPT_SANITIZE=ON -DTPT_BUILD_GUI=OFF \
      -DTPT_BUILD_BENCH=OFF "${launcher[@]}"
cmake --build "$build_dir"

# Stop at the first report, with a stack. libtorch and the other Debian libraries are not
# instrumented: ASan still checks every access our code makes, which is what we want.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# The fuzz smoke has its own sanitizer build; the label engine is every engine test.
ctest --test-dir "$build_dir" --output-on-failure -L engine "$@"
