#!/usr/bin/env bash
# Runs every fuzz target built in BIN_DIR (bin/fuzz_<name>) - what `./dev.sh fuzz` does:
#   1. regression: each file of tests/fuzz/corpus/<name>/ once; any crash fails at once;
#   2. fuzzing: SECONDS seconds per target from a temporary copy of that corpus, so new inputs
#      never land in the checked-in corpus. Crash inputs are kept in BIN_DIR/../fuzz-artifacts/.
#      With LLMPO_FUZZ_FIXED_INPUTS=1 each target runs instead the number of generated inputs
#      tests/fuzz/fixed_inputs.txt gives it, with 4 x SECONDS as a cap (a warning says when the
#      cap cut a target short: its inputs then depend on the machine's speed).
# Exit status: non-zero when any target crashed, leaked, timed out or ran out of memory.
# Usage: tests/fuzz/run_fuzzers.sh BIN_DIR [SECONDS]
set -euo pipefail
bin_dir=$1
seconds=${2:-60}
fuzz_dir=$(cd "$(dirname "$0")" && pwd)
artifacts=$(cd "$bin_dir/.." && pwd)/fuzz-artifacts
mkdir -p "$artifacts"

# libFuzzer's limits define "bug" besides crashes: an input taking over 10 s is a hang, a process
# over 2 GB (or a single allocation that large) an unbounded allocation.
limits=(-max_len=8192 -timeout=10 -rss_limit_mb=2048)
# $LLMPO_FUZZ_SEED fixes the order of the generated inputs (CI sets it, so that a submission's
# verdict does not depend on which random inputs its run happened to draw); unset, each run
# explores from a new random seed.
seed=()
[ -n "${LLMPO_FUZZ_SEED:-}" ] && seed=(-seed="$LLMPO_FUZZ_SEED")

# Fixed inputs (LLMPO_FUZZ_FIXED_INPUTS): the same inputs on every run needs, besides the seed
# and the count, no corpus reloads (timed) and no address randomisation (hash tables keyed by
# pointers take other branches, so coverage, and with it the inputs kept, would differ).
cap_seconds=$((4 * seconds))
fixed_layout=()
if [ -n "${LLMPO_FUZZ_FIXED_INPUTS:-}" ]; then
  if setarch "$(uname -m)" -R true 2>/dev/null; then
    fixed_layout=(setarch "$(uname -m)" -R)
  else
    echo "warning: setarch -R is refused here: addresses vary, and so may the inputs" >&2
  fi
fi

shopt -s nullglob
targets=("$bin_dir"/fuzz_*)
[ ${#targets[@]} -gt 0 ] || { echo "no fuzz targets in $bin_dir" >&2; exit 1; }

# A crash input from CI must be reproducible without the CI machine: print small ones in base64.
show_new_artifacts() {  # NAME MARKER
  find "$artifacts" -name "$1-*" ! -name '*.log' -newer "$2" -type f | while read -r file; do
    echo "artifact: $file ($(wc -c < "$file") bytes)"
    if [ "$(wc -c < "$file")" -le 16384 ]; then
      echo "  recreate with: base64 -d > input <<'B64'"
      base64 < "$file"
      echo "B64"
    fi
  done
}

failed=()
for target in "${targets[@]}"; do
  name=$(basename "$target")
  name=${name#fuzz_}
  corpus="$fuzz_dir/corpus/$name"
  seeds=("$corpus"/*)
  [ ${#seeds[@]} -gt 0 ] || echo "warning: no seed corpus in $corpus; fuzzing from nothing" >&2
  dict=()
  [ -f "$fuzz_dir/$name.dict" ] && dict=(-dict="$fuzz_dir/$name.dict")

  marker=$(mktemp)
  echo "=== $name: ${#seeds[@]} corpus files"
  # Files given by name are each run once (no fuzzing), whatever their size.
  if [ ${#seeds[@]} -gt 0 ] &&
     ! "$target" "${limits[@]}" -artifact_prefix="$artifacts/$name-" "${seeds[@]}" \
       > "$artifacts/$name-regression.log" 2>&1; then
    tail -n 60 "$artifacts/$name-regression.log"
    show_new_artifacts "$name" "$marker"
    echo "FAILED: $name crashed on its checked-in corpus (log: $artifacts/$name-regression.log)" >&2
    failed+=("$name")
    rm -f "$marker"
    continue
  fi

  budget=(-max_total_time="$seconds")
  inputs=""
  if [ -n "${LLMPO_FUZZ_FIXED_INPUTS:-}" ]; then
    inputs=$(awk -v t="$name" '$1 == t { print $2 }' "$fuzz_dir/fixed_inputs.txt")
    [ -n "$inputs" ] || { echo "no input count for $name in $fuzz_dir/fixed_inputs.txt" >&2; exit 1; }
    budget=(-runs="$inputs" -max_total_time="$cap_seconds" -reload=0)
    echo "=== $name: fuzzing $inputs inputs${LLMPO_FUZZ_SEED:+ from seed $LLMPO_FUZZ_SEED}"
  else
    echo "=== $name: fuzzing for $seconds s${LLMPO_FUZZ_SEED:+ from seed $LLMPO_FUZZ_SEED}"
  fi
  work=$(mktemp -d)
  [ ${#seeds[@]} -gt 0 ] && cp "${seeds[@]}" "$work"/
  if ! "${fixed_layout[@]}" "$target" "${limits[@]}" "${seed[@]}" "${dict[@]}" "${budget[@]}" -print_final_stats=1 \
       -artifact_prefix="$artifacts/$name-" "$work" > "$artifacts/$name-fuzz.log" 2>&1; then
    tail -n 80 "$artifacts/$name-fuzz.log"
    show_new_artifacts "$name" "$marker"
    echo "FAILED: $name found a crash; reproduce with: $target <artifact> (artifacts in $artifacts)" >&2
    failed+=("$name")
  else
    grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)" \
      "$artifacts/$name-fuzz.log" || true
    # -runs counts every execution, the corpus's included: fewer means the cap stopped it.
    executed=$(awk '/^stat::number_of_executed_units:/ { print $2 }' "$artifacts/$name-fuzz.log")
    if [ -n "$inputs" ] && [ "${executed:-0}" -lt "$inputs" ]; then
      echo "warning: $name stopped at $cap_seconds s after $executed of $inputs inputs: this machine ran other inputs than a faster one would" >&2
    fi
  fi
  rm -rf "$work" "$marker"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzzing passed: ${#targets[@]} target(s)"
