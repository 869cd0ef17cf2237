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
chromium=${LLMPO_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then echo "SKIP: no chromium (./dev.sh installs Debian's chromium)"; exit 77; fi
if [ ! -f "$source_dir/simulator/report/node_modules/vega/build/vega.min.js" ]; then
  echo "SKIP: simulator/report/node_modules missing (./dev.sh runs npm ci)"; exit 77
fi
rm -rf "$out" && mkdir -p "$out"
fail() { echo "FAIL: $*" >&2; exit 1; }

cd "$source_dir"
"$binary" run experiments/tp_sweep_llama3_70b.yaml --set workload.num_requests=600 --out "$out/results" --quiet \
  --report
[ -f "$out/results/report.html" ] || fail "run --report wrote no report.html"
"$binary" report "$out/results" -o "$out/report.html" --export-svg "$out/svg"
cmp -s "$out/results/report.html" "$out/report.html" || fail "run --report and report differ"

# Which charts the page should draw: the ids in its chart list.
expected=$(grep -o '"id":"[a-z]*","spec"' "$out/report.html" | sed 's/"id":"\([a-z]*\)".*/\1/' | sort | tr '\n' ' ')
[ "$expected" = "cdf latency memory operators throughput timeseries " ] || fail "unexpected chart list: $expected"

# Render it: the page writes its status (charts, rendered, marks per chart, errors) into the DOM.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless=new --disable-gpu --no-sandbox --no-first-run --hide-scrollbars --user-data-dir="$profile"
       --virtual-time-budget=60000)
url="file://$out/report.html"
timeout 180 "$chromium" "${flags[@]}" --enable-logging=stderr --v=0 --dump-dom "$url" >"$out/dom.html" 2>"$out/chromium.log" ||
  fail "chromium exited with $? (see $out/chromium.log)"
status=$(sed -n 's/.*<script type="application\/json" id="llmpo-status">\(.*\)<\/script>.*/\1/p' "$out/dom.html" | head -1)
[ -n "$status" ] || fail "the page left no status (charts did not finish rendering)"
echo "page status: $status"
echo "$status" | grep -q '"charts":6,"rendered":6,' || fail "not every chart rendered: $status"
echo "$status" | grep -q '"errors":\[\]' || fail "the page reported errors: $status"
for id in $expected; do
  marks=$(echo "$status" | grep -o "\"$id\":[0-9]*" | head -1 | cut -d: -f2)
  [ "${marks:-0}" -gt 0 ] || fail "chart $id has no marks"
done
# Chromium's own log: console messages and uncaught exceptions of the page.
if grep -E 'CONSOLE|Uncaught' "$out/chromium.log"; then fail "console output in $out/chromium.log"; fi

# One SVG per chart, each with drawn marks.
for id in $expected; do
  [ -s "$out/svg/$id.svg" ] || fail "no $out/svg/$id.svg"
  grep -q '<svg' "$out/svg/$id.svg" && grep -q 'role-mark' "$out/svg/$id.svg" || fail "$id.svg has no marks"
done

timeout 180 "$chromium" "${flags[@]}" --window-size=1400,3000 --screenshot="$out/report.png" "$url" 2>/dev/null ||
  fail "screenshot failed"
[ -s "$out/report.png" ] || fail "no screenshot"
echo "PASS: 6 charts rendered, no console errors; screenshot $out/report.png, SVGs in $out/svg"
