#!/usr/bin/env bash
# What writing requests.csv adds to a run: peak memory (RSS), wall and user time of
# `run experiments/quickstart.yaml --set workload.num_requests=N`, with requests.csv and with
# --no-requests, for each N. Not a timed test: it prints figures for the docs (README "Memory").
# The outputs are streamed to their files, so the "added" column should stay about the same
# (a few MiB of buffers) whatever N is; the rest of the memory is the simulation's own.
# With a second binary (main's build, say) both are run, alternately, on the same inputs.
# usage: experiments/benchmarks/output_memory_bench.sh [BINARY [REF_BINARY]]
#        (default build/bin/llmperforacle; sizes from OUTPUT_BENCH_REQUESTS, default "100000 1000000")
set -euo pipefail
bin=${1:-build/bin/llmperforacle}
ref=${2:-}
sizes=${OUTPUT_BENCH_REQUESTS:-100000 1000000}
experiment=${OUTPUT_BENCH_EXPERIMENT:-experiments/quickstart.yaml}
for b in "$bin" ${ref:+"$ref"}; do
  [ -x "$b" ] || { echo "no binary at $b (build first, or pass its path)" >&2; exit 2; }
done
[ -f "$experiment" ] || { echo "no experiment at $experiment (run from the project root)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (GNU time, package 'time')" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

measure() {  # $1: binary, $2: N, rest: extra flags; prints "peak_MiB wall_s user_s requests_csv_MB"
  local b=$1 n=$2
  shift 2
  /usr/bin/time -f '%M %e %U' -o "$work/time" "$b" run "$experiment" --set "workload.num_requests=$n" \
    --out "$work/out" --quiet --jobs 1 "$@" > /dev/null 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
  read -r kb wall user < "$work/time"
  local csv=0
  [ -f "$work/out/requests.csv" ] && csv=$(stat -c %s "$work/out/requests.csv")
  rm -rf "$work/out"
  echo "$(echo "$kb / 1024" | bc -l) $wall $user $(echo "$csv / 1000000" | bc -l)"
}

printf '%-10s %-10s %24s %24s %12s %12s\n' binary requests "with requests.csv" "--no-requests" "added" "csv size"
for n in $sizes; do
  for b in "$bin" ${ref:+"$ref"}; do
    read -r with_mib with_wall with_user csv_mb < <(measure "$b" "$n")
    read -r without_mib without_wall without_user _ < <(measure "$b" "$n" --no-requests)
    label=$([ "$b" = "$bin" ] && echo this || echo ref)
    printf '%-10s %-10s %8.1f MiB %5.2f s %5.2f u %8.1f MiB %5.2f s %5.2f u %+8.1f MiB %+6.2f s %9.1f MB\n' \
      "$label" "$n" "$with_mib" "$with_wall" "$with_user" "$without_mib" "$without_wall" "$without_user" \
      "$(echo "$with_mib - $without_mib" | bc -l)" "$(echo "$with_wall - $without_wall" | bc -l)" "$csv_mb"
  done
done
