// Checks the text layout of a report page rendered by headless Chromium at URL#layout (--dump-dom):
// the page script left, in its #llmpo-status element, every chart's visible SVG texts with their
// boxes ([text, x, y, width, height, role, axis], page pixels). Fails (exit 1) when
//   - a chart did not render or the page reported an error;
//   - a required text is not drawn in its chart (legend entries, axis titles, labels);
//   - two texts of one chart overlap: their boxes intersect by more than OVERLAP_PX each way
//     (drawn over each other; boxes that merely touch pass); or
//   - two labels of one axis are closer than MIN_LABEL_GAP_PX: "2,000" just above "1,000" on
//     a log axis labelled at every 1-2-5 step reads as one smear even where Vega keeps their
//     boxes apart. (Legend rows are stacked 2 px apart by design: only axes are held to this.)
// Usage: node text_layout.js DOM_FILE [CHART=TEXT|TEXT|...]...
//   e.g.  node text_layout.js page.dom.html 'latency=p50|p99|TTFT (ms)' 'cdf=run'
'use strict';
const fs = require('fs');

const OVERLAP_PX = 1;
const MIN_LABEL_GAP_PX = 3;

const [domFile, ...requirements] = process.argv.slice(2);
if (!domFile) {
  console.error('usage: node text_layout.js DOM_FILE [CHART=TEXT|TEXT|...]...');
  process.exit(2);
}
const dom = fs.readFileSync(domFile, 'utf8');
const match = dom.match(/<script type="application\/json" id="llmpo-status">([\s\S]*?)<\/script>/);
if (!match) {
  console.error(`FAIL: ${domFile} has no #llmpo-status (the page did not finish rendering)`);
  process.exit(1);
}
const status = JSON.parse(match[1]);
if (!status.texts) {
  console.error(`FAIL: ${domFile}: no text boxes in the status (render the page at URL#layout)`);
  process.exit(1);
}

const problems = [];
if (status.rendered !== status.charts) problems.push(`only ${status.rendered} of ${status.charts} charts rendered`);
for (const e of status.errors || []) problems.push(`page error: ${e}`);
for (const requirement of requirements) {
  const eq = requirement.indexOf('=');
  const chart = requirement.slice(0, eq);
  const texts = status.texts[chart];
  if (!texts) {
    problems.push(`no chart ${chart}`);
    continue;
  }
  const drawn = new Set(texts.map(t => t[0]));
  for (const wanted of requirement.slice(eq + 1).split('|'))
    if (!drawn.has(wanted)) problems.push(`${chart}: "${wanted}" is not drawn`);
}

let total = 0;
for (const [chart, texts] of Object.entries(status.texts)) {
  total += texts.length;
  for (let i = 0; i < texts.length; ++i)
    for (let j = i + 1; j < texts.length; ++j) {
      const [ta, ax, ay, aw, ah] = texts[i];
      const [tb, bx, by, bw, bh] = texts[j];
      // Overlap along each direction; negative: the gap between the boxes.
      const w = Math.min(ax + aw, bx + bw) - Math.max(ax, bx);
      const h = Math.min(ay + ah, by + bh) - Math.max(ay, by);
      const at = `at ${Math.round(Math.max(ax, bx))},${Math.round(Math.max(ay, by))}`;
      if (w > OVERLAP_PX && h > OVERLAP_PX) {
        problems.push(`${chart}: "${ta}" and "${tb}" overlap by ${w.toFixed(1)} x ${h.toFixed(1)} px (${at})`);
      } else if (texts[i][5] === 'axis-label' && texts[j][5] === 'axis-label' && texts[i][6] === texts[j][6] &&
                 texts[i][6] >= 0 && Math.max(-w, -h) < MIN_LABEL_GAP_PX && (w > 0 || h > 0)) {
        problems.push(`${chart}: axis labels "${ta}" and "${tb}" are ${Math.max(-w, -h).toFixed(1)} px apart (${at})`);
      }
    }
}

console.log(`${domFile}: ${total} texts in ${Object.keys(status.texts).length} charts`);
if (problems.length) {
  for (const p of problems.slice(0, 40)) console.error('FAIL: ' + p);
  if (problems.length > 40) console.error(`FAIL: ... and ${problems.length - 40} more`);
  process.exit(1);
}
