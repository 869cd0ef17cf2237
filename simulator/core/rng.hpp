#pragma once
// Our own pseudo-random numbers, so that a seed gives the same workload on every machine and
// compiler: std::mt19937 is portable but the <random> distributions are not, and we want one
// small generator whose every step is written down here.
//
// Generator: xoshiro256** (Blackman & Vigna, 2018), state seeded through SplitMix64.
// Streams: every purpose (arrivals, prompt lengths, ...) draws from its own stream, derived from
// the experiment seed and the purpose's name by a fixed mixing function (see stream()), so that
// changing how one quantity is drawn never shifts the numbers another quantity sees.
#include <array>
#include <cstdint>
#include <string_view>

namespace llmpo {

// One SplitMix64 step: advances `state` by the golden-ratio increment and returns the mixed
// value. Used to expand one 64-bit seed into a full xoshiro state and to mix stream keys.
uint64_t splitmix64_next(uint64_t& state);

// 64-bit FNV-1a hash of a string (offset basis 0xcbf29ce484222325, prime 0x100000001b3):
// turns a purpose name into a number, identically on every platform.
uint64_t fnv1a_64(std::string_view text);

class Rng {
 public:
  // The four state words are four consecutive SplitMix64 outputs starting from `seed`.
  explicit Rng(uint64_t seed);
  // A generator with exactly this state (not all zero); for checking against the reference code.
  static Rng from_state(const std::array<uint64_t, 4>& state);

  // The next raw 64-bit output of xoshiro256**.
  uint64_t next_u64();

  // Uniform in [0, 1): the top 53 bits scaled by 2^-53 (every value a multiple of 2^-53).
  double uniform01();
  // Uniform in (0, 1]: for logarithms, which must never see 0.
  double uniform_open01() { return 1.0 - uniform01(); }

  const std::array<uint64_t, 4>& state() const { return state_; }

 private:
  std::array<uint64_t, 4> state_{};
};

// The stream for one purpose of one experiment:
//   key  = experiment_seed XOR splitmix64_next(h), where h = fnv1a_64(purpose)
//          (splitmix64_next is applied to a copy of h, i.e. it returns mix(h + golden))
//   seed = splitmix64_next(key copy)          -> the Rng constructor's seed
// Equal (seed, purpose) give equal streams; different purposes give unrelated streams.
Rng stream(uint64_t experiment_seed, std::string_view purpose);

}  // namespace llmpo
