#pragma once
// Reading a whole input file into memory, with the one error message every reader gives.
#include <string>

namespace llmpo {

// The bytes of `path`. Throws InputError "<path>: cannot open file" when it cannot be opened or
// read (a missing file, a folder, no permission).
std::string read_text_file(const std::string& path);

}  // namespace llmpo
