#!/usr/bin/env bash
# Peak memory (RSS) against simulated span, time-series interval and sweep size. Not a timed
# test: it prints figures for the docs (README "Memory"). Memory should follow the work (requests,
# events, points), not the simulated time: every row of a table should stay near the first.
# usage: experiments/benchmarks/memory_bench.sh [BINARY]   (default build/bin/llmperforacle)
set -euo pipefail
bin=${1:-build/bin/llmperforacle}
[ -x "$bin" ] || { echo "no binary at $bin (build first, or pass its path)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (GNU time, package 'time')" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One deployment of Llama-3-8B on an H100 (vLLM), 200 requests of 256 + 64 tokens.
experiment() {  # $1: arrival, $2: extra simulation lines, $3: extra top-level lines (both optional)
  cat <<YAML
name: bench
simulation:
  seed: 1
${2:-}
hardware:
  gpu0: {preset: H100-SXM, count: 8}
workload:
  arrival: $1
  num_requests: 200
  prompt_tokens: {distribution: fixed, value: 256}
  output_tokens: {distribution: fixed, value: 64}
frameworks_to_test:
  - name: v
    type: VLLM
    config: {model_profile_id: Llama3-8B, gpu_id: gpu0, tensor_parallel_degree: 1}
${3:-}
YAML
}

measure() {  # $1: label, rest: command; prints label, peak RSS (MB), wall (s), rows of timeseries.csv
  local label=$1
  shift
  /usr/bin/time -f '%M %e' -o "$work/time" "$@" > /dev/null 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
  read -r kb seconds < "$work/time"
  local rows=-
  [ -f "$work/out/timeseries.csv" ] && rows=$(($(wc -l < "$work/out/timeseries.csv") - 1))
  printf '%-44s %8.1f MB %7.2f s %12s\n' "$label" "$(echo "$kb / 1024" | bc -l)" "$seconds" "$rows"
  rm -rf "$work/out"
}

printf '%-44s %11s %9s %12s\n' "run (200 requests)" "peak RSS" "wall" "ts rows"
for think in 1 1e3 1e5 1e7; do
  experiment "{process: closed_loop, clients: 4, think_time_s: $think}" > "$work/e.yaml"
  measure "closed loop, think time $think s" "$bin" run "$work/e.yaml" --out "$work/out" --quiet
done
for rate in 4 1e-3 1e-6; do
  experiment "{process: poisson, rate_per_s: $rate}" > "$work/e.yaml"
  measure "poisson, rate $rate/s" "$bin" run "$work/e.yaml" --out "$work/out" --quiet
done
for interval in 1 1e-3 1e-6 1e-9; do
  experiment "{process: poisson, rate_per_s: 4}" "  timeseries_interval_s: $interval" > "$work/e.yaml"
  measure "poisson 4/s, timeseries_interval_s $interval" "$bin" run "$work/e.yaml" --out "$work/out" --quiet
done
printf 'arrival_s,prompt_tokens,output_tokens\n0,100,10\n4000000000,100,10\n' > "$work/trace.csv"
cat > "$work/e.yaml" <<YAML
simulation: {seed: 1}
hardware:
  gpu0: {preset: H100-SXM, count: 8}
workload:
  trace: {file: $work/trace.csv, format: generic}
frameworks_to_test:
  - name: v
    type: VLLM
    config: {model_profile_id: Llama3-8B, gpu_id: gpu0, tensor_parallel_degree: 1}
YAML
measure "trace of 2 requests spanning 4e9 s" "$bin" run "$work/e.yaml" --out "$work/out" --quiet

echo
printf '%-44s %11s %9s\n' "validate a sweep (one list)" "peak RSS" "wall"
for points in 1 100 500 1000 2000; do
  list=$(seq -s, 0 $((points - 1)))
  experiment "{process: poisson, rate_per_s: 4}" "" "sweep:
  frameworks_to_test[0].config.scheduler_overhead_us: [$list]" > "$work/s.yaml"
  measure "$points points" "$bin" validate "$work/s.yaml"
done
