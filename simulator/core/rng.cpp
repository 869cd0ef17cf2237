#include "rng.hpp"

namespace llmpo {

namespace {

constexpr uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

uint64_t splitmix64_next(uint64_t& state) {
  // Constants from Vigna's reference splitmix64.c.
  state += 0x9e3779b97f4a7c15ULL;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t fnv1a_64(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

Rng::Rng(uint64_t seed) {
  uint64_t sm = seed;
  for (auto& word : state_) word = splitmix64_next(sm);
  // xoshiro must not start from the all-zero state (it would stay there). Four consecutive
  // SplitMix64 outputs are never all zero in practice; guard anyway, deterministically.
  if ((state_[0] | state_[1] | state_[2] | state_[3]) == 0) state_[0] = 0x9e3779b97f4a7c15ULL;
}

Rng Rng::from_state(const std::array<uint64_t, 4>& state) {
  Rng rng(0);
  rng.state_ = state;
  if ((state[0] | state[1] | state[2] | state[3]) == 0) rng.state_[0] = 0x9e3779b97f4a7c15ULL;
  return rng;
}

uint64_t Rng::next_u64() {
  // xoshiro256** 1.0, reference implementation by Blackman & Vigna (public domain).
  const uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

double Rng::uniform01() {
  // The high bits of xoshiro256** are its best; 53 of them fill a double's mantissa exactly.
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

Rng stream(uint64_t experiment_seed, std::string_view purpose) {
  uint64_t purpose_state = fnv1a_64(purpose);
  uint64_t key = experiment_seed ^ splitmix64_next(purpose_state);
  return Rng(splitmix64_next(key));
}

}  // namespace llmpo
