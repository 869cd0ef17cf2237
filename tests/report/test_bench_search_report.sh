#!/usr/bin/env bash
# ctest `report_bench_search`: the pages of `bench` and `search` in headless Chromium. Runs the
# Llama profiler seed's bench example (Llama3-8B on an H100, concurrency 1 2 4 8, --check-oom)
# with --export-svg, and a shortened search (experiments/search_llama3_70b.yaml: 600 requests
# per probe, 2 req/s target) with --report; checks that every chart rendered with marks and no
# console errors, and saves a screenshot of each page.
#   test_bench_search_report.sh LLMPERFORACLE_BINARY SOURCE_DIR OUT_DIR
# Exit 77 (ctest: skipped) without Chromium or the charting libraries.
set -euo pipefail
binary=$1 source_dir=$2 out=$3
source "$source_dir/tests/report/page_check.sh"
rm -rf "$out" && mkdir -p "$out"
cd "$source_dir"

"$binary" bench --model Llama3-8B --gpu H100-SXM --concurrency 1 2 4 8 --prompt-toks 128 --gen-toks 32 --check-oom \
  --out "$out/bench" --export-svg "$out/bench/svg" >"$out/bench.txt"
grep -q "wrote $out/bench/bench.html" "$out/bench.txt" || fail "bench did not say it wrote bench.html"
check_page "$out/bench/bench.html" bench "memory throughput "
for id in memory throughput; do
  grep -q 'role-mark' "$out/bench/svg/$id.svg" || fail "$out/bench/svg/$id.svg has no marks"
done
screenshot "$out/bench/bench.html" "$out/bench.png" 1250

"$binary" search experiments/search_llama3_70b.yaml --set workload.num_requests=600 --set search.target_rate_per_s=2 \
  --out "$out/search" --report --quiet
[ ! -e "$out/search/summary.csv" ] || fail "a search folder has no run files"
check_page "$out/search/report.html" search "search "
screenshot "$out/search/report.html" "$out/search.png" 1200
echo "PASS: bench.html (2 charts, 2 SVGs) and the search report rendered, no console errors; screenshots" \
  "$out/bench.png, $out/search.png"
