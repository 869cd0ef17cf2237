#pragma once
// Where the data libraries (models/library, hardware/gpus, hardware/interconnects) live.
// They are plain files read at run time, so adding a model or a GPU needs no recompiling.
#include <string>

namespace llmpo {

// The project root holding the data folders (models/library, hardware/gpus, hardware/interconnects,
// experiments/traces, hardware/profiles/measured, the report's chart libraries):
//   1. PREFIX/share/llmperforacle beside an installed PREFIX/bin/llmperforacle;
//   2. $LLMPERFORACLE_HOME when set;
//   3. the source tree this binary was built from (baked in at configure time).
std::string data_root();
// The first of those, or "" when this binary is not installed with its data.
std::string installed_data_root();

// This process's own executable (/proc/self/exe): what an installed binary's data and plugins are
// found beside, and what `perf` runs as a child. Throws std::runtime_error when it cannot be read.
std::string current_executable();

std::string model_library_dir();     // <root>/models/library
std::string gpu_library_dir();       // <root>/hardware/gpus
std::string interconnect_dir();      // <root>/hardware/interconnects

}  // namespace llmpo
