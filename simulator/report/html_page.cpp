#include "simulator/report/html_page.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "simulator/report/results_folder.hpp"
#include "simulator/util/data_paths.hpp"
#include "simulator/util/error.hpp"

namespace llmpo::report {

namespace {

namespace fs = std::filesystem;

fs::path libraries_dir() { return fs::path(data_root()) / "simulator" / "report"; }

// The bundles, in the order the page loads them (vega-lite and vega-embed need vega).
std::vector<std::pair<std::string, fs::path>> library_files() {
  const fs::path root = libraries_dir() / "node_modules";
  return {{"vega", root / "vega/build/vega.min.js"},
          {"vega-lite", root / "vega-lite/build/vega-lite.min.js"},
          {"vega-embed", root / "vega-embed/build/vega-embed.min.js"}};
}

// Embeds every chart, then leaves window.__llmpo (and, for --dump-dom, a #llmpo-status script
// element) with the chart count, how many rendered with marks, marks per chart, console errors
// and warnings; with #export in the URL also each chart's SVG.
constexpr const char* kPageScript = R"JS(
(function () {
  const status = {charts: 0, rendered: 0, marks: {}, errors: [], warnings: []};
  window.__llmpo = status;
  window.addEventListener('error', e => status.errors.push('error: ' + (e.message || String(e))));
  window.addEventListener('unhandledrejection', e => status.errors.push('unhandled rejection: ' + (e.reason && e.reason.message || e.reason)));
  const text = a => a.map(x => (x && x.message) || String(x)).join(' ');
  const consoleError = console.error.bind(console), consoleWarn = console.warn.bind(console);
  console.error = (...a) => { status.errors.push(text(a)); consoleError(...a); };
  console.warn = (...a) => { status.warnings.push(text(a)); consoleWarn(...a); };
  // Each chart's visible SVG texts as [text, x, y, width, height, role, axis] in page pixels:
  // role is Vega's mark role (axis-label, axis-title, legend-label, title, ...), axis numbers
  // the axis a label belongs to (-1 outside axes). Vega hides an axis label it drops for
  // overlap with opacity 0: those are not drawn, so not listed.
  const hidden = e => {
    for (; e && e.tagName !== 'svg'; e = e.parentElement) {
      const style = getComputedStyle(e);
      if (style.opacity === '0' || style.display === 'none' || style.visibility === 'hidden') return true;
    }
    return false;
  };
  const textBoxes = list => {
    const out = {}, axes = new Map();
    for (const c of list) {
      out[c.id] = [];
      for (const t of document.querySelectorAll('#chart-' + c.id + ' svg text')) {
        const r = t.getBoundingClientRect(), s = t.textContent.trim();
        if (!s || r.width === 0 || r.height === 0 || hidden(t)) continue;
        const group = t.closest('g[class*="role-"]'), axis = t.closest('g.role-axis');
        const role = group ? (group.getAttribute('class').match(/role-([a-z-]+)/) || ['', ''])[1] : '';
        if (axis && !axes.has(axis)) axes.set(axis, axes.size);
        out[c.id].push([s].concat([r.x, r.y, r.width, r.height].map(v => Math.round(v * 10) / 10),
                                  [role, axis ? axes.get(axis) : -1]));
      }
    }
    return out;
  };
  const charts = JSON.parse(document.getElementById('llmpo-charts').textContent);
  status.charts = charts.length;
  const exporting = location.hash === '#export';
  const views = {};
  const options = {renderer: 'svg', actions: {export: true, source: false, compiled: false, editor: false}};
  Promise.all(charts.map(c => vegaEmbed('#chart-' + c.id, c.spec, Object.assign({downloadFileName: c.id}, options))
    .then(result => {
      views[c.id] = result.view;
      status.marks[c.id] = document.querySelectorAll('#chart-' + c.id + ' svg g.role-mark:not(.mark-group) > *').length;
      if (status.marks[c.id] > 0) status.rendered += 1;
    })
    .catch(e => status.errors.push(c.id + ': ' + ((e && e.message) || e)))))
  .then(async () => {
    if (location.hash === '#layout') status.texts = textBoxes(charts);
    if (exporting) {
      status.svgs = {};
      for (const c of charts) if (views[c.id]) status.svgs[c.id] = await views[c.id].toSVG();
    }
    const out = document.createElement('script');
    out.type = 'application/json';
    out.id = 'llmpo-status';
    out.textContent = JSON.stringify(status).replace(/<\//g, '<\\/');
    document.body.appendChild(out);
    document.body.setAttribute('data-rendered', String(status.rendered));
  });
})();
)JS";

constexpr const char* kStyle = R"CSS(
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px 32px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin: 28px 0 4px; }
p.meta, p.desc { color: #555; font-size: 13px; margin: 2px 0 8px; max-width: 1100px; }
table { border-collapse: collapse; font-size: 12px; } th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; }
th { background: #f4f4f4; } td:nth-child(-n+5) { text-align: left; }
ul.notes { color: #8a5a00; font-size: 13px; }
section { margin-bottom: 12px; }
span.badge-overloaded { background: #c62828; color: #fff; border-radius: 3px; padding: 1px 6px; font-weight: 600; white-space: nowrap; }
span.overload-reason { color: #8a1c1c; margin-left: 6px; }
p.slo { font-size: 13px; max-width: 1100px; background: #f6f8fa; border-left: 4px solid #c62828; padding: 4px 10px; }
)CSS";

// The chart list as JSON inside a <script> element: "</" is escaped so that no string in a spec
// can close the element.
std::string json_for_script(const json& value) {
  std::string text = value.dump();
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

bool chart_libraries_installed() {
  const auto files = library_files();
  return std::all_of(files.begin(), files.end(), [](const auto& file) { return fs::exists(file.second); });
}

std::vector<ChartLibrary> load_chart_libraries() {
  const auto files = library_files();
  std::string missing;
  for (const auto& [name, path] : files)
    if (!fs::exists(path)) missing += "\n  " + path.string();
  if (!missing.empty())
    throw InputError(fmt::format("the charting libraries of `report` are not installed; missing:{}\nRun ./dev.sh "
                                 "(or `npm ci --prefix {}`) to install the versions pinned in "
                                 "simulator/report/package-lock.json",
                                 missing, libraries_dir().string()));
  std::vector<ChartLibrary> out;
  for (const auto& [name, path] : files) {
    std::string version;
    try {
      version = json::parse(read_text(path.parent_path().parent_path() / "package.json")).value("version", "");
    } catch (const std::exception&) {
      // A package.json that cannot be read only costs the version in the page's header.
    }
    out.push_back({name + (version.empty() ? "" : " " + version), read_text(path)});
  }
  return out;
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string html_table(const std::vector<std::string>& headers, const std::vector<std::vector<TableCell>>& rows) {
  std::string html = "<table><thead><tr>";
  for (const auto& header : headers) html += "<th>" + html_escape(header) + "</th>";
  html += "</tr></thead><tbody>";
  for (const auto& row : rows) {
    html += "<tr>";
    for (const auto& cell : row)
      html += (cell.style.empty() ? "<td>" : "<td style=\"" + html_escape(cell.style) + "\">") +
              (cell.is_html ? cell.text : html_escape(cell.text)) + "</td>";
    html += "</tr>";
  }
  return html + "</tbody></table>";
}

std::string display_number(const std::string& cell) {
  const auto value = number_in(cell);
  if (!value || cell.find('.') == std::string::npos) return cell;  // text, or a whole number as written
  const double magnitude = std::fabs(*value);
  if (magnitude >= 1000) return fmt::format("{:.0f}", *value);
  if (magnitude >= 1) return fmt::format("{:.{}f}", *value, 3 - static_cast<int>(std::floor(std::log10(magnitude))));
  return fmt::format("{:.3g}", *value);
}

TableCell html_cell(std::string html) {
  TableCell cell(std::move(html));
  cell.is_html = true;
  return cell;
}

std::string csv_table_html(const Table& table, const std::vector<std::pair<std::string, std::string>>& columns,
                           const std::vector<const CsvRow*>& rows, const CellStyle& style,
                           const std::vector<ExtraColumn>& extra) {
  std::vector<std::string> headers, shown;
  for (const auto& [column, header] : columns)
    if (table.csv.has(column)) shown.push_back(column), headers.push_back(header);
  for (const auto& column : extra) headers.push_back(column.header);
  std::vector<std::vector<TableCell>> cells;
  for (const CsvRow* row : rows) {
    auto& line = cells.emplace_back();
    for (const auto& column : shown) line.emplace_back(display_number(table.cell(*row, column)), style ? style(*row, column) : "");
    for (const auto& column : extra) line.push_back(column.cell(*row));
  }
  return html_table(headers, cells);
}

std::string overloaded_badge_html(const std::string& reason) {
  std::string html = "<span class=\"badge-overloaded\" title=\"" + html_escape(reason.empty() ? "overloaded" : reason) +
                     "\">overloaded</span>";
  if (!reason.empty()) html += "<span class=\"overload-reason\">" + html_escape(reason) + "</span>";
  return html;
}

std::string notes_html(const std::vector<std::string>& notes) {
  if (notes.empty()) return "";
  std::string html = "<ul class=\"notes\">";
  for (const auto& note : notes) html += "<li>" + html_escape(note) + "</li>";
  return html + "</ul>\n";
}

std::string page_html(const Page& page, const std::vector<ChartLibrary>& libraries) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" +
                     html_escape(page.title) + "</title>\n<style>" + kStyle + "</style>\n";
  for (const auto& library : libraries) html += "<script>/* " + library.name + " */\n" + library.code + "\n</script>\n";
  html += "</head><body>\n<h1>" + html_escape(page.title) + "</h1>\n";
  html += "<p class=\"meta\">" + html_escape(page.meta) + "<br>charts: ";
  for (std::size_t i = 0; i < libraries.size(); ++i) {
    if (i) html += ", ";  // not `", " + string&&`: GCC 12 -O3 warns falsely on that
    html += html_escape(libraries[i].name);
  }
  html += " (inlined; each chart's ... menu saves it as SVG or PNG)</p>\n";
  html += page.intro_html;
  json list = json::array();
  for (const auto& chart : page.charts) {
    html += "<section><h2>" + html_escape(chart.title) + "</h2><p class=\"desc\">" + html_escape(chart.description) +
            "</p><div id=\"chart-" + chart.id + "\" class=\"chart\"></div>" + chart.table_html + "</section>\n";
    list.push_back({{"id", chart.id}, {"spec", chart.spec}});
  }
  html += "<script type=\"application/json\" id=\"llmpo-charts\">" + json_for_script(list) + "</script>\n";
  html += std::string("<script>") + kPageScript + "</script>\n</body></html>\n";
  return html;
}

}  // namespace llmpo::report
