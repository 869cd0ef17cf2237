#!/usr/bin/env bash
# ctest `output_folder_faults`: fault injection on a results folder.
#  1. Two `run`s on one --out: while the first holds the folder, the second is refused (exit 2,
#     naming the first's pid), and the folder ends up holding the first's outputs, whole.
#  2. SIGKILL at random points of a run that replaces an earlier complete result (several of
#     them while the outputs are being assembled): `report` and `compare` either refuse the
#     folder (exit 2) or find one consistent set; `run --resume` either refuses (exit 2; then
#     --restart repairs) or finishes with the outputs of an uninterrupted run. Never exit 1,
#     never a mixed folder accepted.
#   test_output_faults.sh LLMPERFORACLE_BINARY
set -u
bin=$1
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 4 runs with a few MB of requests.csv: assembling the outputs takes long enough to be hit.
cat > "$t/e.yaml" <<'YAML'
name: faults
simulation:
  seed: 5
hardware:
  gpu0: {preset: H100-SXM, count: 8}
workload:
  arrival: {process: poisson, rate_per_s: 20}
  num_requests: 3000
  prompt_tokens: {distribution: uniform, min: 64, max: 1024}
  output_tokens: {distribution: uniform, min: 8, max: 256}
frameworks_to_test:
  - name: a
    type: VLLM
    config: {model_profile_id: Llama3-8B, gpu_id: gpu0}
  - name: b
    type: STATIC
    config: {model_profile_id: Llama3-8B, gpu_id: gpu0, batch_size: 16}
sweep:
  request_rate: [10, 40]
YAML

"$bin" run "$t/e.yaml" --out "$t/solo5" --quiet || fail "reference run (seed 5)"
"$bin" run "$t/e.yaml" --out "$t/solo6" --quiet --set simulation.seed=6 || fail "reference run (seed 6)"

# The three outputs of $1 are those of the reference folder $2.
same_set() {
  local f
  for f in summary.csv requests.csv timeseries.csv; do cmp -s "$1/$f" "$2/$f" || return 1; done
}
consistent() { same_set "$1" "$t/solo5" || same_set "$1" "$t/solo6"; }

# --- 1. two runs on one folder -------------------------------------------------------------
"$bin" run "$t/e.yaml" --out "$t/both" --quiet --jobs 1 &
a=$!
for _ in $(seq 4000); do
  [ -s "$t/both/.llmperforacle.lock" ] && break
  kill -0 "$a" 2>/dev/null || break
  sleep 0.005
done
# Paused while holding the folder, so the second run certainly meets a live holder.
kill -STOP "$a" 2>/dev/null || fail "the first run ended before it could be paused"
[ -s "$t/both/.llmperforacle.lock" ] || { kill -CONT "$a"; fail "the first run holds no lock file"; }
"$bin" run "$t/e.yaml" --out "$t/both" --quiet --jobs 1 --set simulation.seed=6 > "$t/second.err" 2>&1
second=$?
kill -CONT "$a"
wait "$a"
first=$?
[ "$first" = 0 ] || fail "the first run exited $first"
[ "$second" = 2 ] || fail "the second run on a held folder exited $second, expected 2: $(cat "$t/second.err")"
grep -q "in use by another llmperforacle process (pid $a" "$t/second.err" || fail "refusal does not name pid $a: $(cat "$t/second.err")"
same_set "$t/both" "$t/solo5" || fail "the folder is not the first run's outputs"
"$bin" report "$t/both" -o "$t/both.html" > /dev/null 2>&1 || fail "report refused the first run's folder"
[ -e "$t/both/.llmperforacle.lock" ] && fail "lock file left after both runs ended"

# --- 2. SIGKILL while an earlier result is replaced ----------------------------------------
expect_0_or_2() {  # $1: what, $2: exit status
  [ "$2" = 0 ] || [ "$2" = 2 ] || fail "$1 exited $2 on a folder killed mid-run (expected 0 or 2)"
}
for i in 1 2 3 4 5; do
  rm -rf "$t/k" && cp -r "$t/solo6" "$t/k"
  "$bin" run "$t/e.yaml" --out "$t/k" --quiet --jobs 2 &
  p=$!
  if [ $((i % 2)) = 1 ]; then
    # Odd rounds: as soon as the outputs are being written (a temporary file appears in the
    # folder), then 0, 3 or 6 ms later.
    for _ in $(seq 20000); do
      compgen -G "$t/k/*.tmp.*" > /dev/null && break
      kill -0 "$p" 2>/dev/null || break
    done
    [ "$i" -gt 1 ] && sleep "0.00$(((i - 1) / 2 * 3))"
  else
    # Even rounds: anywhere in the first 0.2 s (simulating, saving runs, or assembling).
    sleep "$(printf '0.%03d' $((RANDOM % 200)))"
  fi
  kill -9 "$p" 2>/dev/null
  wait "$p" 2>/dev/null
  state="round $i: $(ls "$t/k" | tr '\n' ' ')"

  "$bin" report "$t/k" -o "$t/k.html" > "$t/report.err" 2>&1
  rc=$?
  expect_0_or_2 "report ($state)" "$rc"
  [ "$rc" = 0 ] && { consistent "$t/k" || fail "report accepted a mixed folder ($state)"; }
  report_rc=$rc
  "$bin" compare "$t/k/summary.csv" "$t/solo5/summary.csv" > /dev/null 2> "$t/compare.err"
  rc=$?
  report_rc="$report_rc/$rc"
  expect_0_or_2 "compare ($state)" "$rc"
  [ "$rc" = 0 ] && { consistent "$t/k" || fail "compare accepted a mixed folder ($state)"; }

  "$bin" run "$t/e.yaml" --out "$t/k" --quiet --resume > "$t/resume.err" 2>&1
  rc=$?
  expect_0_or_2 "run --resume ($state): $(cat "$t/resume.err")" "$rc"
  echo "$state-> report/compare $report_rc, resume $rc"
  if [ "$rc" = 2 ]; then
    "$bin" run "$t/e.yaml" --out "$t/k" --quiet --restart || fail "--restart after a refused --resume ($state)"
  fi
  same_set "$t/k" "$t/solo5" || fail "after --resume/--restart the outputs differ from an uninterrupted run ($state)"
done
echo "output folder faults: ok"
