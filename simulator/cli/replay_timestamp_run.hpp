#pragma once
// `replay` of a per-request timestamp run (JSONL + meta.json): see replay_timestamp_run.cpp.
#include <ostream>
#include <string>

#include "args.hpp"

namespace llmpo {

int replay_timestamp_run(const ArgParser& p, const std::string& path, std::ostream& out);

}  // namespace llmpo
