#include "yaml_single_pass.hpp"

#include <cstdint>
#include <utility>
#include <vector>

#include "input_limits.hpp"

namespace llmpo {

namespace {

bool starts_line(const std::string& text, std::size_t at) {
  return at == 0 || text[at - 1] == '\n' || text[at - 1] == '\r';
}

// Whether the text may hold a document marker, a directive (both at a line's start) or a
// byte-order mark (before which a marker would not start its line).
bool may_hold_markers(const std::string& text) {
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF) return true;
  for (std::size_t at = 0; at < text.size(); ++at) {
    if (!starts_line(text, at)) continue;
    if (text[at] == '%' || text.compare(at, 3, "---") == 0 || text.compare(at, 3, "...") == 0) return true;
  }
  return false;
}

// The event scan's limits, counted on the tree: lists and mappings inside kMaxYamlNesting
// enclosing ones, at most kMaxYamlExpandedNodes nodes (keys included, an alias counted as every
// node of its anchor, as the scan counts it). Iterative, and bounded by the node limit even on a
// cycle.
bool within_shape_limits(const YAML::Node& root) {
  std::vector<std::pair<YAML::Node, int>> pending{{root, 0}};  // (node, lists and mappings around it)
  int64_t nodes = 0;
  while (!pending.empty()) {
    const auto [node, enclosing] = pending.back();
    pending.pop_back();
    if (++nodes > kMaxYamlExpandedNodes) return false;
    if (!node.IsMap() && !node.IsSequence()) continue;
    if (enclosing >= kMaxYamlNesting) return false;
    if (node.IsMap()) {
      for (const auto& entry : node) {
        pending.emplace_back(entry.first, enclosing + 1);
        pending.emplace_back(entry.second, enclosing + 1);
      }
    } else {
      for (const auto& entry : node) pending.emplace_back(entry, enclosing + 1);
    }
  }
  return true;
}

}  // namespace

std::optional<YAML::Node> load_plain_block_document(const std::string& yaml) {
  if (may_hold_markers(yaml)) return std::nullopt;
  YAML::Node document;
  try {
    document = YAML::Load(yaml);
  } catch (const YAML::Exception&) {
    return std::nullopt;  // the two-pass read words the error as it always has
  }
  if (!document.IsMap() || document.Style() != YAML::EmitterStyle::Block || document.Mark().column != 0)
    return std::nullopt;
  if (!within_shape_limits(document)) return std::nullopt;
  return document;
}

}  // namespace llmpo
