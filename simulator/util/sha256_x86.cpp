#include "sha256_x86.hpp"

#include <atomic>

#include "sha256_constants.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define LLMPO_SHA256_X86 1
#endif

namespace llmpo {

namespace {

std::atomic<bool> extensions_enabled{true};

#ifdef LLMPO_SHA256_X86

bool cpu_has_sha_extensions() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) == 0) return false;
  const bool sse41 = (c & bit_SSE4_1) != 0, ssse3 = (c & bit_SSSE3) != 0;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0) return false;
  return sse41 && ssse3 && (b & bit_SHA) != 0;
}

constexpr const auto& kRound = kSha256RoundConstants;

// The instructions (Intel's "SHA Extensions" paper) keep the working words as ABEF and CDGH,
// take four message words at a time (byte-swapped: SHA-256 words are big-endian), and do two
// rounds per sha256rnds2.
__attribute__((target("sha,sse4.1,ssse3"))) void blocks_with_extensions(uint32_t* state, const unsigned char* blocks,
                                                                          std::size_t count) {
  const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i dcba = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state));
  __m128i hgfe = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state + 4));
  const __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
  const __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
  __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
  __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);
  for (std::size_t b = 0; b < count; ++b, blocks += 64) {
    const __m128i abef_before = abef, cdgh_before = cdgh;
    __m128i w[4];  // the last four groups of four message words, group g in w[g % 4]
    for (int g = 0; g < 16; ++g) {
      __m128i words;
      if (g < 4) {
        words = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blocks + 16 * g)), byte_swap);
      } else {
        // W[t] = sigma1(W[t-2]) + W[t-7] + sigma0(W[t-15]) + W[t-16], four at a time.
        const __m128i older = _mm_sha256msg1_epu32(w[g % 4], w[(g + 1) % 4]);
        const __m128i seven_back = _mm_alignr_epi8(w[(g + 3) % 4], w[(g + 2) % 4], 4);
        words = _mm_sha256msg2_epu32(_mm_add_epi32(older, seven_back), w[(g + 3) % 4]);
      }
      w[g % 4] = words;
      const __m128i message =
          _mm_add_epi32(words, _mm_load_si128(reinterpret_cast<const __m128i*>(kRound + 4 * g)));
      cdgh = _mm_sha256rnds2_epu32(cdgh, abef, message);
      abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(message, 0x0E));
    }
    abef = _mm_add_epi32(abef, abef_before);
    cdgh = _mm_add_epi32(cdgh, cdgh_before);
  }
  const __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
  const __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
  dcba = _mm_blend_epi16(feba, dchg, 0xF0);
  hgfe = _mm_alignr_epi8(dchg, feba, 8);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state), dcba);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state + 4), hgfe);
}

#endif

}  // namespace

void set_sha256_cpu_extensions(bool enabled) { extensions_enabled.store(enabled); }

bool sha256_blocks_x86(uint32_t* state, const unsigned char* blocks, std::size_t count) {
#ifdef LLMPO_SHA256_X86
  static const bool available = cpu_has_sha_extensions();
  if (!available || !extensions_enabled.load(std::memory_order_relaxed)) return false;
  blocks_with_extensions(state, blocks, count);
  return true;
#else
  (void)state;
  (void)blocks;
  (void)count;
  return false;
#endif
}

}  // namespace llmpo
