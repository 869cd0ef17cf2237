#include "setup.hpp"

#include "models/model_names.hpp"
#include "simulator/util/error.hpp"

namespace llmpo {

void declare_interconnect_options(ArgParser& parser) {
  parser.option("interconnect", "PRESET", "link between GPUs of one node (nvswitch, pairwise-nvlink, pcie, xgmi)",
                "the GPU's default_interconnect");
  parser.option("inter-node", "PRESET", "link between nodes, when the GPUs span several", "infiniband-400g");
}

InterconnectChoice choose_interconnects(const ArgParser& parser, const Libraries& libraries, const GpuSpec& gpu) {
  InterconnectChoice choice;
  choice.intra_node = &libraries.interconnects.find(parser.get_or("interconnect", gpu.default_interconnect));
  choice.inter_node = &libraries.interconnects.find(parser.get_or("inter-node", "infiniband-400g"));
  return choice;
}

std::string quantization_from(const ArgParser& parser, const ModelSpec& model) {
  const std::optional<std::string> given =
      parser.has("quantization") ? std::optional<std::string>(parser.get("quantization")) : std::nullopt;
  try {
    return deployment_quantization(model, given);
  } catch (const InputError& error) {
    throw InputError({}, "--quantization", error.message());
  }
}

}  // namespace llmpo
