#include "model_names.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include <fmt/format.h>

#include "quantization.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

namespace {

// `family:size` names a seed uses for models that were never published, each with what was
// published instead and the nearest published model the library holds. The sizes are those of
// the publishers' Hugging Face organisations (meta-llama, mistralai, microsoft, amazon) and
// model cards; the AI-Flux table (shared/seeds/ai-flux-supported-models.md) lists all of these.
struct UnpublishedName {
  std::string_view name;
  std::string_view published;  // what exists instead
  std::string_view nearest;    // a library name
};

constexpr std::array<UnpublishedName, 9> kUnpublishedNames = {{
    {"llama3.2:7b",
     "Meta published Llama 3.2 text models in 1B and 3B only (llama3.2:1b, llama3.2:3b; the 11B and 90B are Vision "
     "models)",
     "llama3.1:8b"},
    {"llama3.2:70b", "Llama 3.2 has no 70B (text: 1B, 3B; Vision: 11B, 90B); Meta's 70B text models are Llama 3.1 and 3.3",
     "llama3.1:70b"},
    {"llama3.2-vision:8b",
     "Meta published Llama 3.2 Vision in 11B and 90B (meta-llama/Llama-3.2-11B-Vision); the library holds text models "
     "only, and the 11B's language model is Llama 3.1 8B",
     "llama3.1:8b"},
    {"llama3.2-vision:70b",
     "Meta published Llama 3.2 Vision in 11B and 90B (meta-llama/Llama-3.2-90B-Vision); the library holds text models "
     "only, and the 90B's language model is Llama 3.1 70B",
     "llama3.1:70b"},
    {"llama3.3:8b", "Meta published Llama 3.3 only as 70B (meta-llama/Llama-3.3-70B-Instruct)", "llama3.1:8b"},
    {"phi3:vision",
     "Phi-3 Vision (microsoft/Phi-3-vision-128k-instruct) is a 4.2B vision-language model, not 14B: a CLIP image "
     "encoder on Phi-3-mini's language model with 128K context; the library holds text models only",
     "phi3:mini"},
    {"mistral-small:7b",
     "Mistral Small was published in 22B (mistralai/Mistral-Small-Instruct-2409) and 24B "
     "(mistralai/Mistral-Small-24B-Base-2501), neither in the library (import a config.json with --model); the "
     "nearest Mistral AI model of 7B is Mistral 7B",
     "mistral:7b"},
    {"mistral-large:33b",
     "Mistral Large 2 was published as 123B (mistralai/Mistral-Large-Instruct-2407), not in the library (import its "
     "config.json with --model); the nearest Mistral AI model in size is Mixtral 8x22B",
     "mixtral:8x22b"},
    {"mistral-lite:3b",
     "MistralLite (amazon/MistralLite) is a 7B fine-tune of Mistral-7B-v0.1 with a 32K context; no 3B was published",
     "mistral:7b"},
}};

// Variant words of Ollama tags that name the same architecture as the base model: instruction
// or chat tuning (instruct, chat, it), the pretrained base (text, pt, base).
constexpr std::array<std::string_view, 6> kSameArchitectureVariants = {"instruct", "chat", "text", "it", "pt", "base"};

std::vector<std::string> split_on_dash(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dash = text.find('-', start);
    parts.push_back(text.substr(start, dash == std::string::npos ? std::string::npos : dash - start));
    if (dash == std::string::npos) return parts;
    start = dash + 1;
  }
}

// v0.3, v1, or a release date such as 2407 / 2501: names one build of a model.
bool is_version_word(const std::string& word) {
  const auto all_digits = [](std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.'; });
  };
  if (word.size() > 1 && (word[0] == 'v' || word[0] == 'V')) return all_digits(std::string_view(word).substr(1));
  return word.size() == 4 && all_digits(word);
}

// A version word is accepted when the library model is that version (it appears in its id, HF
// id or an alias), e.g. mistral:7b-instruct-v0.3 for Mistral-7B-v0.3 but not -v0.2.
bool model_is_version(const ModelSpec& model, const std::string& version) {
  const std::string wanted = to_lower(version);
  std::vector<std::string> names{model.id, model.hf_id};
  names.insert(names.end(), model.aliases.begin(), model.aliases.end());
  return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return to_lower(n).find(wanted) != std::string::npos; });
}

std::string quantization_tag_list() {
  std::vector<std::string> tags;
  for (const auto& scheme : quantization_schemes())
    if (!scheme.ollama_tag.empty()) tags.push_back(scheme.ollama_tag);
  tags.push_back("fp16");
  return join(tags);
}

void check_variant(const std::string& tag, const std::string& word, const ModelSpec& model) {
  const std::string lowered = to_lower(word);
  if (std::find(kSameArchitectureVariants.begin(), kSameArchitectureVariants.end(), lowered) != kSameArchitectureVariants.end())
    return;
  if (is_version_word(word)) {
    if (model_is_version(model, word)) return;
    throw InputError({}, "model",
                     fmt::format("Ollama tag '{}': '{}' names another build than the library's {} ({}); import that "
                                 "build's config.json with --model path/to/config.json",
                                 tag, word, model.id, model.hf_id.empty() ? model.source_file : model.hf_id));
  }
  throw InputError({}, "model",
                   fmt::format("Ollama tag '{}': '{}' is neither a variant ({}, or a version of {}) nor a quantization "
                               "({}); tags read family:size[-variant][-quantization]",
                               tag, word, join(std::vector<std::string>(kSameArchitectureVariants.begin(), kSameArchitectureVariants.end())),
                               model.id, quantization_tag_list()));
}

}  // namespace

std::optional<std::string> unpublished_model_note(const std::string& name) {
  for (const auto& entry : kUnpublishedNames)
    if (iequals(entry.name, name))
      return fmt::format("{}; nearest published model in the library: {} (write that name instead)", entry.published,
                         entry.nearest);
  return std::nullopt;
}

std::string hf_id_import_hint(const std::string& name) {
  const auto slash = name.find('/');
  const bool org_and_name = slash != std::string::npos && slash > 0 && slash + 1 < name.size() &&
                            name.find('/', slash + 1) == std::string::npos && name.find(' ') == std::string::npos &&
                            name[0] != '.';
  if (!org_and_name) return "";
  return fmt::format(
      "; '{}' looks like a Hugging Face id the library does not hold: download its config.json "
      "(https://huggingface.co/{}/blob/main/config.json) and pass the file, `--model path/to/config.json` on the "
      "command line or `model_profile_id: path/to/config.json` in an experiment file (a folder holding config.json "
      "works too)",
      name, name);
}

std::optional<ModelSpec> resolve_ollama_tag(const std::string& name, const ModelLibrary& library) {
  const auto colon = name.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == name.size() || name.find(':', colon + 1) != std::string::npos)
    return std::nullopt;
  const std::string family = name.substr(0, colon);
  std::vector<std::string> parts = split_on_dash(name.substr(colon + 1));
  if (std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); })) return std::nullopt;

  const QuantizationInfo* quantization = nullptr;
  if (parts.size() > 1) {
    quantization = quantization_of_tag_suffix(parts.back());
    if (quantization != nullptr) parts.pop_back();
  }
  // The longest family:size[-...] prefix the library knows (qwen3:30b-a3b has a dash in its size).
  for (std::size_t size_parts = parts.size(); size_parts >= 1; --size_parts) {
    const std::string base = family + ":" + join(std::vector<std::string>(parts.begin(), parts.begin() + static_cast<std::ptrdiff_t>(size_parts)), "-");
    const ModelSpec* found = library.try_find(base);
    if (found == nullptr) continue;
    for (std::size_t i = size_parts; i < parts.size(); ++i) check_variant(name, parts[i], *found);
    ModelSpec model = *found;
    model.typed_tag = name;
    model.tag_quantization = quantization != nullptr ? quantization->name : "";
    return model;
  }
  if (parts.size() == 1 && quantization == nullptr) return std::nullopt;  // a plain family:size
  const std::string base = family + ":" + parts.front();
  if (const auto note = unpublished_model_note(base))
    throw InputError({}, "model", fmt::format("Ollama tag '{}': '{}' names no published model: {}", name, base, *note));
  try {
    library.find(base);
  } catch (const InputError& error) {
    throw InputError({}, "model", fmt::format("Ollama tag '{}': {}", name, error.message()));
  }
  return std::nullopt;  // not reached: find() throws for a name try_find() did not know
}

std::string deployment_quantization(const ModelSpec& model, const std::optional<std::string>& explicit_quantization) {
  if (!explicit_quantization) return model.tag_quantization.empty() ? "none" : model.tag_quantization;
  const std::string asked = find_quantization(*explicit_quantization).name;
  if (!model.tag_quantization.empty() && asked != model.tag_quantization)
    throw InputError({}, "quantization",
                     fmt::format("the model tag '{}' names quantization {}, but quantization {} was given; give one of "
                                 "them (or the same in both)",
                                 model.typed_tag, model.tag_quantization, asked));
  return asked;
}

}  // namespace llmpo
