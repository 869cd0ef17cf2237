# Sourced by the report tests after setting $source_dir: exits 77 (ctest: skipped) when Chromium
# or the charting libraries are not installed (./dev.sh installs both); else sets $chromium and
# fail(), and renders pages of `report` or `bench` in headless Chromium to check them:
#   check_page HTML NAME "ID ..."   render HTML, require the charts IDs (exactly, as the page lists
#                                   them) each rendered with marks, no page errors and no console
#                                   output in Chromium's log; leaves NAME.dom.html and NAME.log
#                                   next to HTML and prints the page's status
#   screenshot HTML PNG HEIGHT      a 1400 px wide screenshot of the page
chromium=${LLMPO_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then echo "SKIP: no chromium (./dev.sh installs Debian's chromium)"; exit 77; fi
if [ ! -f "$source_dir/simulator/report/node_modules/vega/build/vega.min.js" ]; then
  echo "SKIP: simulator/report/node_modules missing (./dev.sh runs npm ci)"; exit 77
fi
fail() { echo "FAIL: $*" >&2; exit 1; }

page_profile=$(mktemp -d)
trap 'rm -rf "$page_profile"' EXIT
page_flags=(--headless=new --disable-gpu --no-sandbox --no-first-run --hide-scrollbars --user-data-dir="$page_profile"
            --virtual-time-budget=60000)

# The chart ids in the page's chart list, sorted, space-separated.
chart_ids() { grep -o '"id":"[a-z]*","spec"' "$1" | sed 's/"id":"\([a-z]*\)".*/\1/' | sort | tr '\n' ' '; }

check_page() {
  local html=$1 name=$2 expected=$3 dir status marks id count
  dir=$(dirname "$html")
  [ "$(chart_ids "$html")" = "$expected" ] || fail "$html: charts '$(chart_ids "$html")', expected '$expected'"
  # The page writes its status (charts, rendered, marks per chart, errors) into the DOM.
  timeout 180 "$chromium" "${page_flags[@]}" --enable-logging=stderr --v=0 --dump-dom "file://$html" \
    >"$dir/$name.dom.html" 2>"$dir/$name.log" || fail "chromium exited with $? (see $dir/$name.log)"
  status=$(sed -n 's/.*<script type="application\/json" id="llmpo-status">\(.*\)<\/script>.*/\1/p' "$dir/$name.dom.html" | head -1)
  [ -n "$status" ] || fail "$html left no status (charts did not finish rendering)"
  echo "$name status: $status"
  count=$(echo "$expected" | wc -w)
  echo "$status" | grep -q "\"charts\":$count,\"rendered\":$count," || fail "$html: not every chart rendered: $status"
  echo "$status" | grep -q '"errors":\[\]' || fail "$html reported errors: $status"
  for id in $expected; do
    marks=$(echo "$status" | grep -o "\"$id\":[0-9]*" | head -1 | cut -d: -f2)
    [ "${marks:-0}" -gt 0 ] || fail "$html: chart $id has no marks"
  done
  # Chromium's own log: console messages and uncaught exceptions of the page.
  if grep -E 'CONSOLE|Uncaught' "$dir/$name.log"; then fail "console output in $dir/$name.log"; fi
}

screenshot() {
  timeout 180 "$chromium" "${page_flags[@]}" --window-size=1400,"$3" --screenshot="$2" "file://$1" 2>/dev/null ||
    fail "screenshot of $1 failed"
  [ -s "$2" ] || fail "no screenshot $2"
}
