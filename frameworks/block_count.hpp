#pragma once
// ceil(tokens / block_size) for the KV caches' hot paths (every running request, every step or
// decode run). A 64-bit division costs tens of cycles; block sizes are powers of two in practice
// (vLLM's are multiples of 16, SGLang's 1), where a shift gives the same count.
#include <bit>
#include <cstdint>

namespace llmpo {

class BlockCount {
 public:
  // block_size_tokens must be positive (the caches check it first).
  explicit BlockCount(int64_t block_size_tokens)
      : size_(block_size_tokens),
        shift_(block_size_tokens > 0 && std::has_single_bit(static_cast<uint64_t>(block_size_tokens))
                   ? std::countr_zero(static_cast<uint64_t>(block_size_tokens))
                   : -1) {}

  // Blocks that hold `tokens` tokens (0 for none or fewer).
  int64_t blocks_for(int64_t tokens) const {
    if (tokens <= 0) return 0;
    return shift_ >= 0 ? (tokens + size_ - 1) >> shift_ : (tokens + size_ - 1) / size_;
  }
  int64_t size_tokens() const { return size_; }

 private:
  int64_t size_;
  int shift_;  // log2(size_) for a power of two, else -1
};

}  // namespace llmpo
