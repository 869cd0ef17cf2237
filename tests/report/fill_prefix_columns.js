// For the report tests: writes prefix-cache figures into the empty prefix columns of a `run`
// folder (summary.csv, timeseries.csv) and records the files' new sizes and SHA-256 in its
// manifest.json, as a run that looked prefixes up would have written them, so that the report
// draws its "prefix cache hit rate over time" chart. Interval i of each run queries 100 x (i mod 3)
// prompt tokens and finds 30 x (i mod 3) + 10 x (i mod 2) of them when it queries any.
//   node fill_prefix_columns.js RUN_FOLDER
"use strict";
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");

const dir = process.argv[2];

function parse(text) {
  return text.trim().split("\n").map(line => {
    const cells = [""];
    let quoted = false;
    for (let i = 0; i < line.length; ++i) {
      const c = line[i];
      if (quoted && c === '"' && line[i + 1] === '"') { cells[cells.length - 1] += '"'; ++i; }
      else if (c === '"') quoted = !quoted;
      else if (c === "," && !quoted) cells.push("");
      else cells[cells.length - 1] += c;
    }
    return cells;
  });
}

function format(rows) {
  const cell = text => (/[",\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text);
  return rows.map(row => row.map(cell).join(",")).join("\n") + "\n";
}

function column(rows, name) {
  const index = rows[0].indexOf(name);
  if (index < 0) throw new Error(`no column ${name}`);
  return index;
}

const series = parse(fs.readFileSync(path.join(dir, "timeseries.csv"), "utf8"));
const totals = {};  // per run: [queries, hits]
const [run, queries, hits, rate] = ["run", "prefix_query_tokens", "cached_prompt_tokens", "prefix_cache_hit_rate"]
  .map(name => column(series, name));
const index = {};
for (const row of series.slice(1)) {
  const i = index[row[run]] = (index[row[run]] ?? -1) + 1;
  const q = 100 * (i % 3), h = q > 0 ? 30 * (i % 3) + 10 * (i % 2) : 0;
  [row[queries], row[hits], row[rate]] = [String(q), String(h), q > 0 ? String(h / q) : ""];
  const t = totals[row[run]] ??= [0, 0];
  t[0] += q, t[1] += h;
}
const summary = parse(fs.readFileSync(path.join(dir, "summary.csv"), "utf8"));
for (const row of summary.slice(1)) {
  const [q, h] = totals[row[column(summary, "run")]] ?? [0, 0];
  row[column(summary, "prefix_query_tokens")] = String(q);
  row[column(summary, "cached_prompt_tokens")] = String(h);
  row[column(summary, "prefix_cache_hit_rate")] = q > 0 ? String(h / q) : "";
}
const manifestPath = path.join(dir, "manifest.json");
const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
for (const [name, rows] of [["timeseries.csv", series], ["summary.csv", summary]]) {
  const text = format(rows);
  fs.writeFileSync(path.join(dir, name), text);
  manifest.files[name] = {size: Buffer.byteLength(text), sha256: crypto.createHash("sha256").update(text).digest("hex")};
}
fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
