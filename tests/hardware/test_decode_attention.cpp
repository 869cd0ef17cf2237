// DecodeAttentionTimer (hardware/decode_attention.hpp) is a faster route to a number the general
// path already defines: time_attention(attention_work(g, no prefill, decode, accounting)).time_s.
// Simulated times are rounded to whole nanoseconds and runs must be byte-identical however a
// step was priced, so "close" is not enough: the two must agree to the last bit, on every GPU
// preset, both accountings, and the branches a hand-made GPU turns on or off.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>

#include "hardware/decode_attention.hpp"
#include "hardware/kernel_timing.hpp"
#include "library_fixtures.hpp"

using namespace llmpo;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Per-GPU shards of real models: Llama-3-70B at TP 4 and TP 8, Llama-3-8B, a 64-wide head with
// an fp8 KV cache, and a geometry without heads (no split-KV model).
std::vector<LayerGeometry> geometries() {
  auto g = [](double q, double kv, double head, double act, double kv_bytes) {
    LayerGeometry x;
    x.q_dim = q;
    x.kv_dim = kv;
    x.head_dim = head;
    x.act_bytes = act;
    x.kv_bytes = kv_bytes;
    return x;
  };
  return {g(2048, 256, 128, 2, 2), g(1024, 128, 128, 2, 2), g(4096, 1024, 128, 2, 2), g(1024, 128, 64, 2, 1),
          g(4096, 1024, 0, 2, 2)};
}

// A decode batch as StepShape builds it: `seqs` requests with random cached lengths.
AttentionLoad random_decode(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> seqs_of(1, 600);
  std::uniform_int_distribution<int64_t> cached_of(0, 40000);
  StepShape shape;
  const int seqs = seqs_of(rng);
  for (int i = 0; i < seqs; ++i) shape.add_decode(cached_of(rng));
  return shape.decode;
}

// Every load checked against the general path; returns how many differed.
int mismatches(const GpuSpec& gpu, double peak, std::mt19937_64& rng, int loads) {
  int differ = 0;
  for (const LayerGeometry& g : geometries()) {
    for (const Accounting accounting : {Accounting::corrected, Accounting::seed}) {
      const DecodeAttentionTimer timer(g, gpu, peak, accounting);
      for (int i = 0; i < loads; ++i) {
        const AttentionLoad decode = random_decode(rng);
        const double general = time_attention(attention_work(g, AttentionLoad{}, decode, accounting), gpu, peak).time_s;
        if (!same_bits(timer.time_s(decode), general)) ++differ;
      }
    }
  }
  return differ;
}

}  // namespace

TEST_CASE("decode attention timer: bit for bit the general path on every GPU preset") {
  std::mt19937_64 rng(7);
  const GpuLibrary& library = test::gpus();
  REQUIRE(library.all_names().size() >= 10);
  for (const std::string& name : library.all_names()) {
    const GpuSpec& gpu = library.find(name);
    const double peak = gpu.supports(ComputeType::bf16) ? gpu.peak(ComputeType::bf16) : gpu.peak(ComputeType::fp16);
    INFO(name);
    CHECK(mismatches(gpu, peak, rng, 200) == 0);
  }
}

TEST_CASE("decode attention timer: bit for bit with the split-KV and tile terms switched on and off") {
  std::mt19937_64 rng(11);
  GpuSpec gpu = test::gpus().find("H100-SXM");
  const double peak = gpu.peak(ComputeType::bf16);
  GpuEfficiency& e = gpu.efficiency;
  SECTION("no split-KV occupancy model") { e.attention_decode_cta_bandwidth = 0; }
  SECTION("per-tile overhead, per-pair cost and math") {
    e.attention_decode_cta_overhead_s = 2e-7;
    e.attention_decode_token_cost_s = 3e-12;
    e.attention_decode_tile_m = 64;
  }
  SECTION("fixed latency and per-sequence cost") {
    e.attention_decode_latency_s = 4e-6;
    e.attention_decode_per_seq_s = 5e-8;
  }
  SECTION("no CTA may run (no splits, no CTAs per sequence)") {
    e.attention_decode_max_splits = 0;
    e.attention_decode_ctas_per_seq = 0;
  }
  CHECK(mismatches(gpu, peak, rng, 300) == 0);
}
