#pragma once
// Debug-level diagnostics (`llmperforacle --verbose`) from code that does not include spdlog: the
// header-only library helpers and the model and hardware libraries, whose targets do not link it.
#include <string>

namespace llmpo {

// Whether debug_log prints now: build a message that costs something only when it does.
bool debug_logging();
void debug_log(const std::string& message);

}  // namespace llmpo
