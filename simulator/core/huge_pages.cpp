#include "huge_pages.hpp"

#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace llmpo {

namespace {
constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;
// Below this the range holds no whole huge page to ask for. (A million-request run has several
// per-request arrays of 4 and 8 MB: some 1,000 to 2,000 faults each with 4 KiB pages, 10 to 20 ms
// where a fault costs 10 us.)
constexpr std::size_t kMinAdvisedBytes = std::size_t{2} << 20;
}  // namespace

void advise_huge_pages(void* data, std::size_t bytes) {
#if defined(MADV_HUGEPAGE)
  if (data == nullptr || bytes < kMinAdvisedBytes) return;
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first = (begin + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  const std::uintptr_t last = (begin + bytes) & ~(kHugePageBytes - 1);
  if (last <= first) return;
  // The return value is ignored on purpose: EINVAL where THP is compiled out, and the memory
  // works the same either way.
  (void)madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

}  // namespace llmpo
