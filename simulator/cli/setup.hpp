#pragma once
// What several subcommands share: loading the libraries and resolving --model / --gpu /
// --interconnect into the specs the cost model and memory planner take.
#include <optional>
#include <string>

#include "args.hpp"
#include "simulator/experiment/libraries.hpp"

namespace llmpo {

// Declares --interconnect and --inter-node on a parser.
void declare_interconnect_options(ArgParser& parser);

// The presets named by --interconnect (default: the GPU's own) and --inter-node.
struct InterconnectChoice {
  const InterconnectSpec* intra_node = nullptr;
  const InterconnectSpec* inter_node = nullptr;
};
InterconnectChoice choose_interconnects(const ArgParser& parser, const Libraries& libraries, const GpuSpec& gpu);

// The weight quantization from --quantization and the quantization an Ollama tag given to
// --model names (deployment_quantization); a contradiction is an error at --quantization.
std::string quantization_from(const ArgParser& parser, const ModelSpec& model);

}  // namespace llmpo
