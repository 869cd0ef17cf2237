#!/usr/bin/env bash
# Regenerates the fidelity page's numbers in one command:
#   experiments/fidelity/regenerate.sh [path/to/llmperforacle]
# 1. calibrates A100-80GB-PCIe, A100-80GB-SXM, A40, H200 and RTX-4090 on the FIT split of the
#    measured data (the in-project copies in hardware/profiles/measured, see its SOURCES.md) and
#    writes the calibrated files to calibrated/;
# 2. scores the shipped library profiles (whose values were copied from calibrated/) on the
#    SCORE split - rows no fit has seen - and writes the tables (*.txt), grouped CSVs
#    (*-summary.csv) here and one CSV line per scored row in rows/;
# 3. checks that the library's calibrated GPUs and presets still hold the values in calibrated/,
#    and that the derived GPUs hold what hardware/gpus/derive_efficiency.py derives from them.
# Deterministic: the same data and binary give byte-identical outputs.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${1:-$ROOT/build/bin/llmperforacle}"
cd "$ROOT"
DATA=hardware/profiles/measured
if [ ! -d "$DATA" ]; then
  echo "error: $DATA is missing" >&2
  exit 2
fi
OUT=experiments/fidelity
mkdir -p "$OUT/calibrated" "$OUT/calibrated/interconnects" "$OUT/rows"

# What each calibrated profile is fitted on (see README.md, "Data and split").
A100_PCIE=("$DATA/vidur/a100" "$DATA/vidur/network/a100_pairwise_nvlink" "$DATA/vidur/cpu_overhead/a100")
A100_SXM=("$DATA/aiconfigurator/a100_sxm" "$DATA/vidur/cpu_overhead/a100")
A40=("$DATA/vidur/a40" "$DATA/vidur/network/a40_pairwise_nvlink" "$DATA/vidur/cpu_overhead/a40")
H200=("$DATA/aiconfigurator/h200_sxm")  # vLLM 0.19.0 kernels, NCCL 2.29.2; split by model shape
RTX4090=("$DATA/serving-runs/vllm-0.19.0/rtx4090-llama-3.1-8b/engine-profile")  # vLLM 0.19.0 engine, eager

calibrate() {  # name gpu profiles...
  local name=$1 gpu=$2
  shift 2
  "$BIN" calibrate --gpu "$gpu" --profiles "$@" --split fit --out "$OUT/calibrated/$name.yaml" \
    --interconnect-out "$OUT/calibrated/interconnects" > "$OUT/calibrate-$name.txt"
}
calibrate a100-80gb-pcie A100-80GB-PCIe "${A100_PCIE[@]}"
calibrate a100-80gb-sxm A100-80GB-SXM "${A100_SXM[@]}"
calibrate a40 A40 "${A40[@]}"
calibrate h200 H200 "${H200[@]}"
calibrate rtx-4090 RTX-4090 "${RTX4090[@]}"

score() {  # name gpu split profiles...
  local name=$1 gpu=$2 split=$3
  shift 3
  # Per-row predictions go to rows/ (tens of MB, not committed: rows/.gitignore).
  "$BIN" fidelity --gpu "$gpu" --profiles "$@" --split "$split" --worst 15 \
    --csv "$OUT/rows/$name.csv" --summary-csv "$OUT/$name-summary.csv" > "$OUT/$name.txt"
}
# Held-out rows, library profiles as shipped.
score a100-pcie-vidur A100-80GB-PCIe score "${A100_PCIE[@]}"
score a100-sxm-aiconfigurator A100-80GB-SXM score "${A100_SXM[@]}" "$DATA/vidur/network/a100_dgx/all_reduce.csv"
score a40-vidur A40 score "${A40[@]}"
score h200-aiconfigurator H200 score "${H200[@]}"
score rtx-4090-engine RTX-4090 score "${RTX4090[@]}"
# The fitted rows too, to show the gap between fit and held-out error.
score a100-pcie-vidur-fitrows A100-80GB-PCIe fit "${A100_PCIE[@]}"
score a40-vidur-fitrows A40 fit "${A40[@]}"
score h200-aiconfigurator-fitrows H200 fit "${H200[@]}"
score rtx-4090-engine-fitrows RTX-4090 fit "${RTX4090[@]}"
# Transfer without refitting: the Vidur A100 data under the SXM profile fitted on aiconfigurator.
score a100-sxm-on-vidur A100-80GB-SXM all "$DATA/vidur/a100"

# The library must ship what the calibration produced.
status=0
for pair in a100-80gb-pcie:a100-80gb-pcie a100-80gb-sxm:a100-80gb-sxm a40:a40 h200:h200 rtx-4090:rtx-4090; do
  calibrated="$OUT/calibrated/${pair%%:*}.yaml"
  library="hardware/gpus/${pair##*:}.yaml"
  # The efficiency block only (up to the next top-level key, e.g. fidelity:), comments dropped.
  efficiency_block() { awk '/^efficiency:/ {on = 1; next} on && /^[^ ]/ {on = 0} on' "$1" | sed 's/ *#.*//'; }
  if ! diff <(efficiency_block "$calibrated") <(efficiency_block "$library") > /dev/null; then
    echo "warning: $library's efficiency values differ from $calibrated" >&2
    status=1
  fi
done
for preset in "$OUT"/calibrated/interconnects/*.yaml; do
  library="hardware/interconnects/$(basename "$preset")"
  if ! diff <(grep -v '^#' "$preset" | sed 's/ *#.*//') <(grep -v '^#' "$library" | sed 's/ *#.*//') > /dev/null; then
    echo "warning: $library differs from $preset" >&2
    status=1
  fi
done
# The GPUs without measured kernels must hold what the generation rules derive from the
# calibrated files (hardware/GPU_SOURCES.md, "Efficiency defaults").
python3 hardware/gpus/derive_efficiency.py --check || status=1
echo "wrote $OUT/*.txt, *.csv and calibrated/"
exit $status
