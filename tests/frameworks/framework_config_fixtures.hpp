#pragma once
// Helpers of the framework-config tests: a deployment's config mapping from YAML text, and the
// message of the input error an action throws.
#include <functional>
#include <string>

#include "simulator/util/error.hpp"
#include "simulator/util/yaml_reader.hpp"

namespace llmpo::test {

inline StrictMap map_of(const std::string& text) {
  return StrictMap(load_yaml_string(text, "exp.yaml"), "exp.yaml", "deployments[0]");
}

inline std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& error) {
    return error.what();
  }
  return "(no error)";
}

}  // namespace llmpo::test
