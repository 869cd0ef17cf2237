#pragma once
// The JSON type of a value, in the words the vLLM result tests compare: "null", "string",
// "integer", "number" (a non-integer), "array", else "other".
#include <string>

#include <nlohmann/json.hpp>

namespace llmpo::test {

inline std::string json_type(const nlohmann::json& v) {
  if (v.is_null()) return "null";
  if (v.is_string()) return "string";
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_array()) return "array";
  return "other";
}

}  // namespace llmpo::test
