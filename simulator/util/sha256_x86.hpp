#pragma once
// SHA-256 blocks on the x86 SHA extensions (Intel SHA-NI, AMD Zen and later): manifest.json and
// every saved run hash all their outputs' bytes (a million requests are 150 MB of requests.csv),
// and the instructions hash them several times faster than portable code. Internal to sha256.cpp
// (and its tests).
#include <cstddef>
#include <cstdint>

namespace llmpo {

// Hashes `count` 64-byte blocks into `state` (the eight working words, A first) and returns true;
// returns false, doing nothing, on a CPU without the extensions or when they are switched off.
bool sha256_blocks_x86(uint32_t* state, const unsigned char* blocks, std::size_t count);

// Tests switch the extensions off to check the portable code on the same machine.
void set_sha256_cpu_extensions(bool enabled);

}  // namespace llmpo
