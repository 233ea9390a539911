#!/bin/bash
# The demo's figures, as the closing note of issue 6 and docs/demo.md quote them: `tpt demo`
# from an empty cache (the base-model build is part of the time), then the no-pruning ablation
# on the same cached base model, each table printed, and the targets checked:
#
#   base Pass@1 (strict) in [15%, 50%]; after 4 rounds at least 15 points higher; the
#   ablation ends lower than the demo. The full demo's wall time is reported against the
#   10-minute target but not checked (times are reported, never asserted).
#
# A benchmark, not a test: it takes about ten minutes per variant on 2 cores. Exit status 1
# when a Pass@1 target is missed.
#
#   tests/bench/demo_figures.sh [TPT_BINARY] [WORK_DIR] [--quick]
#
# Defaults: ./build/tpt, a new temporary folder (kept, so the experiments can be opened).
set -euo pipefail

tpt=${1:-./build/tpt}
work=${2:-$(mktemp -d -t tpt-demo-figures-XXXXXX)}
variant=()
[[ ${3:-} == --quick ]] && variant=(--quick)
[[ -x $tpt ]] || { echo "demo_figures.sh: no tpt binary at $tpt (build first, or pass its path)" >&2; exit 2; }
mkdir -p "$work"
work=$(cd "$work" && pwd)
# An empty cache of its own, so the base model is built (and timed) as on a first run.
export XDG_DATA_HOME="$work/data"

timed() {  # timed LABEL COMMAND...: runs it, prints its wall time, keeps its stderr in a log
  local label=$1 log="$work/$1.log" start
  shift
  start=$(date +%s%N)
  "$@" 2>"$log"
  echo "$label: $(( ($(date +%s%N) - start) / 1000000000 )) s wall"
}

"$tpt" -q info | sed -n '1,6p'
echo "work folder: $work"
echo
echo "== tpt demo ${variant[*]:-} (base model built from scratch)"
timed demo "$tpt" -q demo "${variant[@]}" --dir "$work/demo" >"$work/demo.table"
grep -h "base model ready" "$work/demo.log" | sed 's/^ *//' || true
cat "$work/demo.table"
echo
echo "== tpt demo ${variant[*]:-} --no-pruning (cached base model)"
timed no-pruning "$tpt" -q demo "${variant[@]}" --no-pruning --dir "$work/no-pruning" >"$work/no-pruning.table"
cat "$work/no-pruning.table"
echo

"$tpt" -q status "$work/demo" --json >"$work/demo.json"
"$tpt" -q status "$work/no-pruning" --json >"$work/no-pruning.json"
python3 - "$work/demo.json" "$work/no-pruning.json" <<'EOF'
import json, sys

def rounds(path):
    return json.load(open(path))["rounds"]

demo, ablation = rounds(sys.argv[1]), rounds(sys.argv[2])
base = demo[0]["pass1_strict"] * 100
last = demo[-1]["pass1_strict"] * 100
ablation_last = ablation[-1]["pass1_strict"] * 100
checks = [
    ("base Pass@1 (strict) in [15%, 50%]", 15 <= base <= 50, f"{base:.1f}%"),
    ("round-%d Pass@1 at least 15 points above base" % demo[-1]["round"], last - base >= 15,
     f"{last:.1f}% ({last - base:+.1f} points)"),
    ("no pruning ends lower than pruning", ablation_last < last,
     f"{ablation_last:.1f}% vs {last:.1f}%"),
]
failed = 0
for name, ok, value in checks:
    print(f"{'ok  ' if ok else 'MISS'}  {name}: {value}")
    failed += not ok
sys.exit(1 if failed else 0)
EOF
