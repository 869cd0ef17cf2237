#pragma once
// Output files appear whole or not at all: content goes to "<path>.tmp.<pid>" first, then a rename
// (atomic on POSIX file systems) replaces the target. An interrupted run leaves the previous
// complete file, never half of a new one.
#include <functional>
#include <ostream>
#include <string>

namespace llmpo {

// Throws InputError naming the path when the folder cannot be created or the file written.
void write_file_atomically(const std::string& path, const std::string& content);
// The same, with the content streamed by `write` (for files too large to build in memory).
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

// Puts the finished file `from` in place at `path` as a second name of the same file (a hard link,
// then a rename over `path`): no byte is copied. False, with nothing changed, when the file system
// has no hard links (the caller copies instead); throws InputError naming `path` when the rename
// fails.
bool link_file_atomically(const std::string& from, const std::string& path);

// Removes "<name>.tmp.<pid>" files that a killed process left in `directory` (not recursive).
void remove_stale_temporaries(const std::string& directory);

// Flushes a file's content, or a folder's entries (renames, removals), to the disk: before a
// manifest vouches for outputs they must survive a power cut, not only a killed process.
// Throws InputError naming the path on failure.
void sync_file(const std::string& path);
void sync_directory(const std::string& directory);

// Creates `directory` and its parents when missing.
void ensure_directory(const std::string& directory);

}  // namespace llmpo
