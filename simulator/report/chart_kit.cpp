#include "simulator/report/chart_kit.hpp"

namespace llmpo::report {

json color_by(const std::string& field, const std::string& title, const std::vector<std::string>& domain,
              bool with_legend) {
  json range = json::array();
  for (std::size_t i = 0; i < domain.size(); ++i) range.push_back(palette_color(i));
  json enc = {{"field", field}, {"type", "nominal"}, {"title", title}, {"scale", {{"domain", domain}, {"range", range}}}};
  if (!with_legend) enc["legend"] = nullptr;
  return enc;
}

json axis(const std::string& field, const std::string& type, const std::string& title) {
  return {{"field", field}, {"type", type}, {"title", title}};
}

json tip(const std::string& field) { return {{"field", field}}; }

json tip(const std::string& field, const std::string& title, const std::string& format) {
  json entry = {{"field", field}};
  if (!title.empty()) entry["title"] = title;
  if (!format.empty()) entry["format"] = format;
  return entry;
}

}  // namespace llmpo::report
