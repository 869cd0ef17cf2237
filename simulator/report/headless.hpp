#pragma once
// Rendering a report page in headless Chromium: the page script (html_page.cpp) leaves its status
// in the DOM, which --dump-dom hands back; with #export in the URL the status carries every
// chart's SVG (Vega's view.toSVG()), which `--export-svg DIR` saves.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmpo::report {

// `requested` (--chromium) when given, else $LLMPO_CHROMIUM, else chromium (or Chrome) on PATH;
// InputError for --export-svg saying how to install one.
std::string find_chromium(const std::string& requested);

// Renders the page and returns the status object it left in the DOM (`with_svgs`: the SVGs too).
nlohmann::json render_headless(const std::filesystem::path& html, const std::string& chromium, bool with_svgs);

// Renders the page, requires every chart to have rendered without errors, and writes
// DIR/<chart id>.svg; returns the paths written, by chart id.
std::vector<std::string> export_svgs(const std::filesystem::path& html, const std::string& chromium,
                                     const std::filesystem::path& svg_dir);

}  // namespace llmpo::report
