#include "debug_log.hpp"

#include <spdlog/spdlog.h>

namespace llmpo {

bool debug_logging() { return spdlog::should_log(spdlog::level::debug); }

void debug_log(const std::string& message) { spdlog::debug("{}", message); }

}  // namespace llmpo
