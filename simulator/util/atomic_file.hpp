#pragma once
// Output files appear whole or not at all: content goes to "<path>.tmp" first, then a rename
// (atomic on POSIX file systems) replaces the target. An interrupted run leaves the previous
// complete file, never half of a new one.
#include <string>

namespace llmpo {

// Throws InputError naming the path when the folder cannot be created or the file written.
void write_file_atomically(const std::string& path, const std::string& content);

// Creates `directory` and its parents when missing.
void ensure_directory(const std::string& directory);

}  // namespace llmpo
