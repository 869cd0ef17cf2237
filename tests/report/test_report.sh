#!/usr/bin/env bash
# ctest `report_html`: runs a shortened TP-sweep example (experiments/tp_sweep_llama3_70b.yaml,
# 600 instead of 3000 requests), builds its HTML report, opens it in headless Chromium and checks
# that every chart rendered with marks and that the page logged no console errors; exports one
# SVG per chart (`report --export-svg`) and saves a screenshot.
#   test_report.sh LLMPERFORACLE_BINARY SOURCE_DIR OUT_DIR
# Exit 77 (ctest: skipped) when Chromium or the charting libraries are not installed (./dev.sh
# installs both).
set -euo pipefail
binary=$1 source_dir=$2 out=$3
source "$source_dir/tests/report/page_check.sh"
rm -rf "$out" && mkdir -p "$out"

cd "$source_dir"
"$binary" run experiments/tp_sweep_llama3_70b.yaml --set workload.num_requests=600 --out "$out/results" --quiet \
  --report
[ -f "$out/results/report.html" ] || fail "run --report wrote no report.html"
"$binary" report "$out/results" -o "$out/report.html" --export-svg "$out/svg"
cmp -s "$out/results/report.html" "$out/report.html" || fail "run --report and report differ"

expected="cdf latency memory operators throughput timeseries "
check_page "$out/report.html" report "$expected"

# One SVG per chart, each with drawn marks.
for id in $expected; do
  [ -s "$out/svg/$id.svg" ] || fail "no $out/svg/$id.svg"
  grep -q '<svg' "$out/svg/$id.svg" && grep -q 'role-mark' "$out/svg/$id.svg" || fail "$id.svg has no marks"
done

screenshot "$out/report.html" "$out/report.png" 3000
echo "PASS: 6 charts rendered, no console errors; screenshot $out/report.png, SVGs in $out/svg"
