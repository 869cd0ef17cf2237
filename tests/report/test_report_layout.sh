#!/usr/bin/env bash
# ctest `report_layout`: the text of the report pages as headless Chromium lays it out. Renders
# three pages at 1400 px with the page's #layout script (it lists every visible SVG text of each
# chart with its box) and checks with text_layout.js that the legends, axis titles and labels a
# reader needs are drawn, that no two texts overlap, and that no two labels of an axis crowd:
#   - one run (the quickstart, 300 requests): the percentiles p50..p99 named along x and in the
#     shape legend; then with prefix-cache figures, the hit-rate chart's axis titles;
#   - an 8-run sweep (the TP sweep at TP 2, 8 x 0.5 to 4 req/s, 200 requests): log latency
#     axes (TP 2 saturates), a legend naming each run in the CDFs, a row title per run in the
#     time series;
#   - a capacity search (the capacity example, 300 requests per probe): the SLO rules labelled,
#     the probe legend.
# First it checks that text_layout.js fails what it should: the crowded log axis the run page
# had before, and a legend drawn over an axis title (tests/data/report/).
#   test_report_layout.sh LLMPERFORACLE_BINARY SOURCE_DIR OUT_DIR
# Exit 77 (ctest: skipped) without Chromium, Node.js or the charting libraries (./dev.sh
# installs them).
set -euo pipefail
binary=$1 source_dir=$2 out=$3
source "$source_dir/tests/report/page_check.sh"
node=$(command -v node || command -v nodejs || true)
if [ -z "$node" ]; then echo "SKIP: no node (./dev.sh installs nodejs)"; exit 77; fi
rm -rf "$out" && mkdir -p "$out"
cd "$source_dir"
check_layout() {  # CHECKS...: text_layout.js on a dumped DOM, its output kept in $out/layout.txt
  "$node" tests/report/text_layout.js "$@" >"$out/layout.txt" 2>&1
}

check_layout tests/data/report/crowded_log_axis.dom.html && fail "text_layout.js passed the crowded log axis"
grep -q 'axis labels "1,000" and "2,000" are 2.2 px apart' "$out/layout.txt" || fail "$(cat "$out/layout.txt")"
check_layout tests/data/report/overlapping_legend.dom.html && fail "text_layout.js passed a legend over an axis title"
grep -q '"TTFT (ms, log scale)" and "TP 2" overlap' "$out/layout.txt" || fail "$(cat "$out/layout.txt")"
if grep -q '"TP 2" and "TP 4"' "$out/layout.txt"; then fail "legend rows 2 px apart taken for a collision"; fi

# HTML NAME CHECKS...: the page rendered at #layout, then its text checked.
layout() {
  local html=$1 name=$2
  shift 2
  timeout 180 "$chromium" "${page_flags[@]}" --window-size=1400,3000 --dump-dom "file://$html#layout" \
    >"$out/$name.dom.html" 2>"$out/$name.log" || fail "chromium exited with $? (see $out/$name.log)"
  check_layout "$out/$name.dom.html" "$@" || fail "$name: $(cat "$out/layout.txt")"
  cat "$out/layout.txt"
}

"$binary" run experiments/quickstart.yaml --set workload.num_requests=300 --out "$out/one" --report --quiet
layout "$out/one/report.html" one 'latency=p50|p90|p95|p99|statistic|TTFT (ms)|TPOT (ms)|E2EL (ms)|framework' \
  'cdf=TTFT (ms, log scale)|fraction of completed requests' 'timeseries=vllm_llama3|running sequences|KV (%)'
# The same run with prefix-cache figures written into its folder (fill_prefix_columns.js): the
# hit-rate chart draws its axis titles, clear of the other charts' texts.
"$node" tests/report/fill_prefix_columns.js "$out/one"
"$binary" report "$out/one" --quiet
layout "$out/one/report.html" one_prefix 'prefix=prefix cache hit rate (%)|simulated time (s)'

"$binary" run experiments/tp_sweep_llama3_70b.yaml --set workload.num_requests=200 \
  --set 'sweep={tensor_parallel_degree: [2, 8], request_rate: [0.5, 1, 2, 4]}' --out "$out/eight" --report --quiet
grep -q '"TTFT percentiles (log scale)"' "$out/eight/report.html" || fail "the 8-run page has no log TTFT axis"
runs='TP 2, rate 0.5|TP 2, rate 1|TP 2, rate 2|TP 2, rate 4|TP 8, rate 0.5|TP 8, rate 1|TP 8, rate 2|TP 8, rate 4'
# A time-series row is titled "<run> (<framework>)", plus " - overloaded" where summary.csv's
# saturation verdict says so (TP 2 at the higher rates): the flags, in run order, from its
# `overloaded` column (a CSV with quoted labels, so parsed rather than cut).
overloaded=$("$node" -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")
    .map(line => line.match(/("([^"]|"")*"|[^,]*)(,|$)/g).map(cell => cell.replace(/,$/, "")));
  const column = rows[0].indexOf("overloaded");
  if (column < 0) throw new Error("summary.csv has no overloaded column");
  console.log(rows.slice(1).map(row => row[column]).join(" "));' "$out/eight/summary.csv")
titles='' index=0
read -r -a flags <<<"$overloaded"
IFS='|' read -r -a run_names <<<"$runs"
[ ${#flags[@]} -eq ${#run_names[@]} ] || fail "summary.csv has ${#flags[@]} runs, expected ${#run_names[@]}"
for name in "${run_names[@]}"; do
  title="$name (vllm_llama3_70b)"
  [ "${flags[$index]}" = true ] && title="$title - overloaded"
  titles="$titles$title|" index=$((index + 1))
done
layout "$out/eight/report.html" eight 'latency=TP 2|TP 8|other swept parameters|p50|p99|statistic|request rate (req/s)' \
  "cdf=run|$runs" "timeseries=${titles}simulated time (s)"

"$binary" capacity experiments/capacity_llama3_70b.yaml --set workload.num_requests=300 --out "$out/capacity" --report \
  --quiet --jobs 2
layout "$out/capacity/report.html" capacity 'probes=SLO ≤ 2,000 ms|SLO ≤ 100 ms|SLO ≥ 0.99|probe|meets the SLOs|misses an SLO|overloaded or backlogged|TTFT p90 (ms)|request rate probed (req/s)' \
  'capacity=vllm, TP 2|static_4, TP 8'
echo "PASS: the one-run, 8-run and capacity pages draw their legends and axis labels, none overlapping or crowded" \
  "(DOMs in $out)"
