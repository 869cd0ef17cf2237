#pragma once
// One parse instead of two for the YAML files nearly everyone writes.
//
// yaml_reader.cpp reads a document in two passes: an event scan that enforces the shape limits
// (one document, aliases, nesting, expanded size; input_limits.hpp) before yaml-cpp builds a
// tree, then YAML::Load. yaml-cpp is slow (about 1,500 instructions a byte), and the two passes
// over the experiment file and the GPU, interconnect and model files it names were a quarter of
// a 1,000-request run's instructions (17 M of 70 M; the scan alone 8 M).
//
// Most files cannot break those limits, and that can be told from their text and the tree one
// YAML::Load builds:
// - no line starts with "---", "..." or '%': no document marker and no directive, and
// - the root is a block mapping whose first key is at column 0. yaml-cpp ends such a mapping
//   only where every indentation is popped: at a document marker, a directive or the end of the
//   text (a line at column 0 pops only a sequence there). So the one document read is the whole
//   text, and nothing after it was silently dropped (as YAML::Load drops a second document, or
//   the rest after a stray ',');
// - the tree is within the nesting and node limits, counted on the tree with every alias walked
//   again (an alias shares its anchor's nodes, so a cycle or a "billion laughs" stops the count
//   at the node limit, and the depth through aliases is at least the depth in the text).
// When any of these fails, or YAML::Load throws, the caller reads the text the two-pass way,
// which then reports exactly what it always has. yaml-cpp's own depth guard (2,000 levels)
// keeps the one YAML::Load safe on a text nested past our limit before it falls back.
// Not for --set values, where aliases are refused outright: those go through the event scan.
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

namespace llmpo {

// The document of `yaml` (comments already shortened) when the single pass is known to read it
// exactly as the two passes would; nullopt otherwise (nothing is reported: the caller reads it
// again the careful way).
std::optional<YAML::Node> load_plain_block_document(const std::string& yaml);

}  // namespace llmpo
