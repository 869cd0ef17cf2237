#include "simulator/report/chart_kit.hpp"

#include <algorithm>
#include <cmath>

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

namespace {

// The clean values mantissas x 10^k (k over the decades around [lo, hi]), ascending.
std::vector<double> clean_values(double lo, double hi, const std::vector<double>& mantissas) {
  std::vector<double> out;
  const int first = static_cast<int>(std::floor(std::log10(lo))) - 1;
  const int last = static_cast<int>(std::ceil(std::log10(hi))) + 1;
  for (int k = first; k <= last; ++k)
    for (double m : mantissas) out.push_back(k >= 0 ? m * std::pow(10.0, k) : m / std::pow(10.0, -k));  // 5 / 100 is 0.05 exactly as printed
  return out;
}

// The ticks of `candidates` from the largest one <= lo to the smallest one >= hi. The relative
// slack absorbs the rounding of pow(10, k): 0.1 * 10 is not exactly 1.
LogTicks snapped(const std::vector<double>& candidates, double lo, double hi) {
  constexpr double kSlack = 1e-9;
  LogTicks ticks;
  std::size_t first = 0, last = candidates.size() - 1;
  for (std::size_t i = 0; i < candidates.size(); ++i)
    if (candidates[i] <= lo * (1 + kSlack)) first = i;
  for (std::size_t i = candidates.size(); i-- > 0;)
    if (candidates[i] >= hi * (1 - kSlack)) last = i;
  ticks.values.assign(candidates.begin() + static_cast<std::ptrdiff_t>(first),
                      candidates.begin() + static_cast<std::ptrdiff_t>(last) + 1);
  ticks.domain_lo = ticks.values.front();
  ticks.domain_hi = ticks.values.back();
  return ticks;
}

}  // namespace

LogTicks clean_log_ticks(double lo, double hi, double length_px, double label_px) {
  if (!(lo > 0) || !std::isfinite(lo)) lo = 1;
  if (!(hi > lo) || !std::isfinite(hi)) hi = lo * 10;  // one value: a decade around it
  // Room for this many labels with a label's own size of space between neighbours.
  const auto room = static_cast<std::size_t>(std::max(2.0, std::floor(length_px / (2 * label_px)) + 1));
  // 1-2-5 ticks are not evenly spaced on a log axis: the closest pair (1-2, 5-10) is 0.3 of a
  // decade apart where even spacing would give 0.33; count them as a little more crowded.
  LogTicks fine = snapped(clean_values(lo, hi, {1, 2, 5}), lo, hi);
  if (static_cast<double>(fine.values.size()) * 1.1 <= static_cast<double>(room)) {
    fine.labelled = fine.values;
    return fine;
  }
  LogTicks decades = snapped(clean_values(lo, hi, {1}), lo, hi);
  const std::size_t every = (decades.values.size() + room - 1) / room;  // label every k-th power
  for (std::size_t i = 0; i < decades.values.size(); i += every) decades.labelled.push_back(decades.values[i]);
  return decades;
}

void use_log_scale(json& channel, double lo, double hi, double length_px, bool horizontal) {
  // A compact label ("20k", "500") is at most about 5 characters of 11 px text: ~32 px wide and
  // ~14 px tall.
  const LogTicks ticks = clean_log_ticks(lo, hi, length_px, horizontal ? 32 : 14);
  channel["scale"] = {{"type", "log"}, {"domain", {ticks.domain_lo, ticks.domain_hi}}, {"nice", false}};
  // Unlabelled ticks get an empty label (Vega draws no text for it).
  const std::string compact = "datum.value >= 1000 ? format(datum.value, '~s') : format(datum.value, '~g')";
  channel["axis"] = {{"values", ticks.values},
                     {"labelExpr", ticks.labelled.size() == ticks.values.size()
                                       ? compact
                                       : "indexof(" + json(ticks.labelled).dump() + ", datum.value) >= 0 ? " + compact + " : ''"},
                     {"labelOverlap", false}};
}

}  // namespace llmpo::report
