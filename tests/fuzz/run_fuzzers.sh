#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang, ASan + UBSan) and runs each one for a time
# budget on its corpus, one after another. Reports each target's executions, executions per
# second and coverage (libFuzzer's cov: edges and ft: features) at the end, keeps the inputs that
# crashed, and exits non-zero when any target found one.
#
#   tests/fuzz/run_fuzzers.sh [SECONDS_PER_TARGET]     # default 60
#
# Environment:
#   TPT_FUZZ_BUILD    build folder (default: build-fuzz in the checkout)
#   TPT_FUZZ_TARGETS  space-separated subset of targets (default: all; see CMakeLists.txt)
#   TPT_FUZZ_RUNS     also stop a target after this many executions (libFuzzer -runs)
#   TPT_FUZZ_JOBS     targets run at the same time (default 1)
#   TPT_FUZZ_SEED     libFuzzer's random seed (default: a fresh one each run). The CI smoke test
#                     fixes it, so a red smoke run is the same on every machine and a finding
#                     reproduces with the same command; long runs leave it unset to explore more
#   TPT_FUZZ_FRESH=1  start from the committed seeds only (the corpus grown by earlier runs in
#                     the build folder is set aside); what CI does
#
# Dictionaries: tests/fuzz/dict/<target>.dict (JSON syntax, and the keys and names each reader
# looks for, taken from the engine's sources and the seeds).
#
# Corpora: each target starts from tests/fuzz/corpus/<target>/ (committed seeds) plus
# BUILD/corpus/<target>/, where new inputs found are kept between runs. Crashes go to
# BUILD/crashes/<target>/ (crash-*, timeout-*, oom-*, leak-*; slow-unit-* are inputs that took
# over 10 s, kept but not counted as failures); to keep one as a regression seed,
# copy it into tests/fuzz/corpus/<target>/ once fixed. Logs: BUILD/logs/<target>.log.
#
# Exit status: 0 when every target ran its budget cleanly; 1 when a target found a crash or
# failed to build; 77 when clang or libFuzzer is missing (a failure when CI=true, as CI must run
# every test).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "$here/../.." && pwd)
seconds=${1:-60}
build=${TPT_FUZZ_BUILD:-$checkout/build-fuzz}
jobs=${TPT_FUZZ_JOBS:-1}

skip() {
  echo "run_fuzzers: $*" >&2
  if [[ "${CI:-}" == "true" ]]; then
    echo "run_fuzzers: CI=true: a missing tool fails the run (packaging/setup-debian.sh installs it)" >&2
    exit 1
  fi
  exit 77
}

clangxx=$(command -v clang++ || true)
[[ -n "$clangxx" ]] || skip "clang++ not found: skipped (Debian: apt install clang libclang-rt-14-dev)"
# libFuzzer's runtime comes in a package of its own on Debian (libclang-rt-N-dev).
fuzzer_lib=$("$clangxx" -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)
if [[ "$fuzzer_lib" != /* ]]; then
  fuzzer_lib=$("$clangxx" -print-runtime-dir 2>/dev/null)/libclang_rt.fuzzer-x86_64.a
fi
[[ -f "$fuzzer_lib" ]] || skip "libFuzzer's runtime (libclang_rt.fuzzer) not found: skipped (Debian: apt install libclang-rt-14-dev)"

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

start=$(date +%s)
echo "run_fuzzers: building in $build"
if ! cmake -S "$here" -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER="$clangxx" "${launcher[@]}" >"$build.configure.log" 2>&1; then
  cat "$build.configure.log" >&2
  echo "run_fuzzers: configure failed" >&2
  exit 1
fi
rm -f "$build.configure.log"
if ! cmake --build "$build" --parallel "$(nproc)"; then
  echo "run_fuzzers: build failed" >&2
  exit 1
fi
echo "run_fuzzers: built in $(($(date +%s) - start)) s"

targets=${TPT_FUZZ_TARGETS:-$(cat "$build/targets.txt")}
mkdir -p "$build/logs"
# Crash inputs of earlier runs stay where they are; only this run's count against it.
marker="$build/logs/.started"
touch "$marker"

# One target's run; prints its summary line. Exit status 1 on a finding.
run_one() {
  local name=$1 work="$build/corpus/$1" crashes="$build/crashes/$1" log="$build/logs/$1.log"
  if [[ "${TPT_FUZZ_FRESH:-}" == "1" ]]; then
    work="$build/fresh-corpus/$1"
    rm -rf "$work"
  fi
  mkdir -p "$work" "$crashes"
  local options=(-max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$crashes/"
                 -timeout=25 -rss_limit_mb=2048 -close_fd_mask=1)
  [[ -n "${TPT_FUZZ_RUNS:-}" ]] && options+=(-runs="$TPT_FUZZ_RUNS")
  [[ -n "${TPT_FUZZ_SEED:-}" ]] && options+=(-seed="$TPT_FUZZ_SEED")
  # Tokens the mutator inserts: JSON syntax and the keys and names the reader looks for.
  [[ -f "$here/dict/$name.dict" ]] && options+=(-dict="$here/dict/$name.dict")
  local seeds="$here/corpus/$name"
  # Reports stop the target: UBSan's too, and ASan's leak check at exit counts as a crash.
  ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1} \
    "$build/fuzz_$name" "${options[@]}" "$work" "$seeds" >"$log" 2>&1
  local status=$?
  local execs rate cov ft
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  local found
  # slow-unit-* files are inputs that took over 10 s: kept for a look, not failures.
  found=$(find "$crashes" -type f -newer "$marker" ! -name 'slow-unit-*' | wc -l)
  local verdict=ok
  if ((status != 0)) || ((found > 0)); then verdict="FAILED (exit $status, $found crash input(s) in $crashes; log $log)"; fi
  printf '%-18s execs %10s  exec/s %7s  cov %6s  ft %7s  %s\n' "$name" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$verdict"
  [[ "$verdict" == ok ]]
}
export -f run_one
export build seconds here marker

echo "run_fuzzers: $seconds s per target, $jobs at a time"
failed=0
if ((jobs > 1)); then
  printf '%s\n' $targets | xargs -P "$jobs" -I{} bash -c 'run_one {}' || failed=1
else
  for name in $targets; do run_one "$name" || failed=1; done
fi
echo "run_fuzzers: done in $(($(date +%s) - start)) s"
if ((failed)); then
  echo "run_fuzzers: a target found a crash or broken invariant: see its log and crash inputs above" >&2
  for name in $targets; do
    log="$build/logs/$name.log"
    if grep -aqE 'ERROR: |invariant broken|runtime error|deadly signal|Test unit written' "$log" 2>/dev/null; then
      echo "---- $name ($log), the report:" >&2
      grep -anE -m1 -A30 'ERROR: |invariant broken|runtime error|terminate called' "$log" >&2
      # The input itself, when small enough for libFuzzer to print it (a CI log is all there is).
      grep -a -m1 '^Base64: ' "$log" >&2
    fi
  done
  exit 1
fi
exit 0
