#pragma once
// Reading a whole input file into memory, with the one error message every reader gives; and
// reading a file of any size through one small buffer.
#include <functional>
#include <string>
#include <string_view>

namespace llmpo {

// The bytes of `path`. Throws InputError "<path>: cannot open file" when it cannot be opened or
// read (a missing file, a folder, no permission).
std::string read_text_file(const std::string& path);

// Passes the bytes of `path` to `consume` in order, at most kFileChunkBytes at a time, through one
// buffer that is neither zeroed nor larger than it: a page fault costs ~10 us on a VM, and a
// zeroed 1 MiB buffer faulted in all its 256 pages to copy a 3 kB file. False when the file cannot
// be opened; InputError "<path>: reading the file failed" when a read fails.
inline constexpr std::size_t kFileChunkBytes = std::size_t{64} << 10;
bool for_each_file_chunk(const std::string& path, const std::function<void(std::string_view)>& consume);

}  // namespace llmpo
