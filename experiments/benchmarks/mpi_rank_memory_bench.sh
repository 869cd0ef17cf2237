#!/usr/bin/env bash
# What writing requests.csv adds to each MPI rank: peak memory (RSS, GNU time per rank) of
# `mpirun -np 2 llmperforacle run` on two runs of N requests each (one per rank: rank 1 streams
# its run to rank 0, which writes the outputs), with requests.csv and with --no-requests. Not a
# timed test: it prints figures for the docs (README "Memory"). Ranks stream a run's rows to rank
# 0 in ~1 MiB chunks as they are formatted, so the "added" column should stay at a few MiB on
# both ranks whatever N is; the rest is the simulation's own. With a second binary (main's build,
# say) both are run, alternately, on the same inputs.
# usage: experiments/benchmarks/mpi_rank_memory_bench.sh [BINARY [REF_BINARY]]
#        (default build/bin/llmperforacle; sizes from MPI_BENCH_REQUESTS, default "100000 500000")
set -euo pipefail
bin=${1:-build/bin/llmperforacle}
ref=${2:-}
sizes=${MPI_BENCH_REQUESTS:-100000 500000}
for b in "$bin" ${ref:+"$ref"}; do
  [ -x "$b" ] || { echo "no binary at $b (build first, or pass its path)" >&2; exit 2; }
done
command -v mpirun > /dev/null || { echo "needs mpirun (Debian's openmpi-bin)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (GNU time, package 'time')" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Containers run as root; OpenMPI refuses that unless told.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# Two runs (request rates 10 and 12/s) of Llama-3-8B on one H100 under vLLM.
cat > "$work/two_runs.yaml" <<'YAML'
name: mpi-rank-memory
simulation: {seed: 5}
hardware:
  gpu0: {preset: H100-SXM, count: 1}
workload:
  arrival: {process: poisson, rate_per_s: 10}
  num_requests: 1000
  prompt_tokens: {distribution: uniform, min: 64, max: 1024}
  output_tokens: {distribution: uniform, min: 8, max: 256}
frameworks_to_test:
  - name: vllm
    type: VLLM
    config: {model_profile_id: Llama3-8B, gpu_id: gpu0, max_num_seqs: 64}
sweep:
  request_rate: [10, 12]
YAML
# Each rank under GNU time, its figures in its own file.
cat > "$work/rank.sh" <<'SH'
#!/bin/sh
exec /usr/bin/time -f '%M' -o "$RANK_TIME_DIR/rank-$OMPI_COMM_WORLD_RANK" "$@"
SH
chmod +x "$work/rank.sh"

measure() {  # $1: binary, $2: N, rest: extra flags; prints "rank0_MiB rank1_MiB wall_s"
  local b=$1 n=$2
  shift 2
  local start end
  start=$(date +%s.%N)
  RANK_TIME_DIR=$work mpirun -np 2 --oversubscribe "$work/rank.sh" "$b" run "$work/two_runs.yaml" \
    --set "workload.num_requests=$n" --out "$work/out" --quiet --jobs 1 "$@" > /dev/null 2> "$work/err" ||
    { cat "$work/err" >&2; exit 1; }
  end=$(date +%s.%N)
  rm -rf "$work/out"
  echo "$(echo "$(cat "$work/rank-0") / 1024" | bc -l) $(echo "$(cat "$work/rank-1") / 1024" | bc -l) $(echo "$end - $start" | bc -l)"
}

printf '%-8s %-9s %29s %29s %22s\n' binary requests "with requests.csv (r0, r1)" "--no-requests (r0, r1)" "added (r0, r1)"
for n in $sizes; do
  for b in "$bin" ${ref:+"$ref"}; do
    read -r with0 with1 with_wall < <(measure "$b" "$n")
    read -r without0 without1 without_wall < <(measure "$b" "$n" --no-requests)
    label=$([ "$b" = "$bin" ] && echo this || echo ref)
    printf '%-8s %-9s %7.1f %7.1f MiB %6.2f s   %7.1f %7.1f MiB %6.2f s   %+8.1f %+8.1f MiB\n' \
      "$label" "$n" "$with0" "$with1" "$with_wall" "$without0" "$without1" "$without_wall" \
      "$(echo "$with0 - $without0" | bc -l)" "$(echo "$with1 - $without1" | bc -l)"
  done
done
