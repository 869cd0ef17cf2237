#pragma once
// What several subcommands share: loading the libraries and resolving --model / --gpu /
// --interconnect into the specs the cost model and memory planner take.
#include <optional>
#include <string>

#include "args.hpp"
#include "hardware/gpu_library.hpp"
#include "hardware/interconnect.hpp"
#include "models/model_library.hpp"

namespace llmpo {

struct Libraries {
  ModelLibrary models;
  GpuLibrary gpus;
  InterconnectLibrary interconnects;
  static Libraries load();
};

// Declares --interconnect and --inter-node on a parser.
void declare_interconnect_options(ArgParser& parser);

// The presets named by --interconnect (default: the GPU's own) and --inter-node.
struct InterconnectChoice {
  const InterconnectSpec* intra_node = nullptr;
  const InterconnectSpec* inter_node = nullptr;
};
InterconnectChoice choose_interconnects(const ArgParser& parser, const Libraries& libraries, const GpuSpec& gpu);

}  // namespace llmpo
