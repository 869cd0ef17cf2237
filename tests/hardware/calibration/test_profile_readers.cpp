// The measured-profile readers (hardware/calibration/profile_readers.hpp): every format on the
// real shared files (row counts, units), the generic format, and malformed files, whose errors
// must name the file and the line.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "hardware/calibration/profile_readers.hpp"
#include "simulator/util/error.hpp"
#include "test_paths.hpp"

using namespace llmpo;
using namespace llmpo::calibration;
using Catch::Matchers::Contains;

namespace {

// A shared profile file; fails loudly (not silently skipped) when the in-project copy is missing.
std::string shared_profile(const std::string& relative) {
  const std::string path = test::measured_dir() + "/" + relative;
  INFO("the measured data must be in hardware/profiles/measured: " << path);
  REQUIRE(std::filesystem::exists(path));
  return path;
}

std::string test_profile(const std::string& name) { return test::data_dir() + "/profiles/" + name; }

ProfileSet read_one(const std::string& path) {
  ProfileSet set;
  read_profile_file(path, set);
  return set;
}

std::size_t count(const ProfileSet& set, MeasuredKind kind) {
  std::size_t n = 0;
  for (const auto& m : set.rows) n += m.kind == kind ? 1 : 0;
  return n;
}

std::string error_of(const std::string& path) {
  try {
    read_one(path);
  } catch (const InputError& error) {
    return error.what();
  }
  return "(no InputError thrown)";
}

}  // namespace

TEST_CASE("profile readers: a Vidur mlp.csv gives ten operators per row, GEMMs shaped as the cost model shards them") {
  const ProfileSet set = read_one(shared_profile("vidur/a100/meta-llama/Llama-2-7b-hf/mlp.csv"));
  // 1044 data rows x (4 GEMMs + 2 norms + RoPE + activation + add + embedding).
  CHECK(set.rows.size() == 10440);
  CHECK(count(set, MeasuredKind::gemm) == 4176);
  CHECK(count(set, MeasuredKind::elementwise) == 6264);
  // The first data row (line 2): 4096 tokens at TP 1; QKV is 4096 -> 3 x 4096, 1.911 ms median.
  const Measurement* qkv = nullptr;
  for (const auto& m : set.rows)
    if (m.line == 2 && m.op == "qkv_proj") qkv = &m;
  REQUIRE(qkv != nullptr);
  CHECK(qkv->model == "Llama-2-7b-hf");
  CHECK(qkv->tp == 1);
  CHECK(qkv->work.gemm_m == 4096);
  CHECK(qkv->work.gemm_k == 4096);
  CHECK(qkv->work.gemm_n == 12288);
  CHECK(qkv->work.weight_bytes == 4096.0 * 12288 * 2);
  CHECK(qkv->measured_s == Approx(1.911e-3));  // milliseconds in the file
}

TEST_CASE("profile readers: phi-2's mlp.csv has no post-attention norm and an ungated MLP") {
  const ProfileSet set = read_one(shared_profile("vidur/a100/microsoft/phi-2/mlp.csv"));
  CHECK(set.rows.size() == 2349);  // 261 rows x 9 operators
  bool up = false;
  for (const auto& m : set.rows) {
    CHECK(m.op != "gate_up_proj");
    if (m.op == "up_proj" && m.line == 2) {
      up = true;
      CHECK(m.work.gemm_n == 10240);  // n_expanded_embd, not 2x: use_gated_mlp is False
      CHECK(m.work.gemm_k == 2560);
    }
  }
  CHECK(up);
}

TEST_CASE("profile readers: Vidur attention.csv splits into decode and prefill rows in milliseconds") {
  const ProfileSet set = read_one(shared_profile("vidur/a100/attention-llama-2-70b-tp2/attention.csv"));
  CHECK(count(set, MeasuredKind::attention_decode) == 10240);
  CHECK(count(set, MeasuredKind::attention_prefill) == 4418);
  // Line 2: decode, batch 1, 32 cached tokens, 0.015 ms; 32 query / 4 KV heads per GPU at TP 2.
  const Measurement& first = set.rows.front();
  CHECK(first.line == 2);
  CHECK(first.kind == MeasuredKind::attention_decode);
  CHECK(first.tp == 2);
  CHECK(first.measured_s == Approx(15e-6));
  // K and V of 33 tokens over 4 KV heads x 128: 2 x 33 x 512 x 2 B = 67,584 bytes read.
  CHECK(first.work.kv_read_bytes == 67584.0);
}

TEST_CASE("profile readers: Vidur all_reduce.csv keeps single-node groups only, sizes in bytes") {
  const ProfileSet set = read_one(shared_profile("vidur/network/a100_dgx/all_reduce.csv"));
  // 994 sizes x (2/2, 4/4, 8/8) stay; 2/1, 4/2, 8/4, 16/8 span nodes.
  CHECK(set.rows.size() == 2982);
  REQUIRE(set.notes.size() == 1);
  CHECK_THAT(set.notes[0], Contains("skipped 3976 rows spanning nodes"));
  for (const auto& m : set.rows) CHECK(m.network == "nvswitch");
  // Line 3 (index 1 in the file): 2 workers on 2 devices, 2048 bytes.
  CHECK(set.rows.front().work.message_bytes == 2048.0);
  CHECK(set.rows.front().tp == 2);
}

TEST_CASE("profile readers: Vidur cpu_overheads.csv sums the host phases of a step") {
  const ProfileSet set = read_one(shared_profile("vidur/cpu_overhead/a100/cpu_overheads.csv"));
  CHECK(set.rows.size() == 78);
  const Measurement& first = set.rows.front();
  CHECK(first.model == "CodeLlama-34b-Instruct-hf");
  CHECK(first.batch == 8);
  // schedule 0.19969 + sampler 0.58802 + prepare inputs 0.77492 + process outputs 0.22696 ms.
  CHECK(first.measured_s == Approx((0.1996876192952873 + 0.5880162608257326 + 0.7749160446348289 +
                                    0.22695557299492955) * 1e-3));
}

TEST_CASE("profile readers: aiconfigurator NCCL message sizes count elements of the listed dtype") {
  const ProfileSet set = read_one(shared_profile("aiconfigurator/a100_sxm/nccl_perf__nccl-2.27.3.csv"));
  CHECK(set.rows.size() == 126);  // all_reduce only; the other collectives are noted and skipped
  CHECK(set.notes.size() == 3);
  const Measurement& first = set.rows.front();  // line 128: half, 2 GPUs, 256 elements, 0.00998 ms
  CHECK(first.line == 128);
  CHECK(first.work.message_bytes == 512.0);     // 256 half elements = 512 bytes
  CHECK(first.tp == 2);
  CHECK(first.measured_s == Approx(9.98e-6));
}

TEST_CASE("profile readers: the other aiconfigurator tables read with their documented units") {
  CHECK(read_one(shared_profile("aiconfigurator/a100_sxm/gemm_perf__vllm-0.14.0.csv")).rows.size() == 9240);
  const ProfileSet context = read_one(shared_profile("aiconfigurator/a100_sxm/context_attention_perf__vllm-0.14.0.csv"));
  CHECK(context.rows.size() == 5040);  // 417 one-token contexts are decodes and are left out
  CHECK(count(context, MeasuredKind::attention_prefill) == 5040);
  const ProfileSet generation = read_one(shared_profile("aiconfigurator/a100_sxm/generation_attention_perf__vllm-0.14.0.csv"));
  CHECK(count(generation, MeasuredKind::attention_decode) == 5431);
  const ProfileSet custom = read_one(shared_profile("aiconfigurator/a100_sxm/custom_allreduce_perf__vllm-0.14.0.csv"));
  // CUDA-graph rows below vLLM's 8 MiB max size: 3 rank counts x 15 sizes (128 .. 2M elements of
  // bf16); eager rows and the 3 x 8 rows at or above 8 MiB are noted and skipped.
  CHECK(custom.rows.size() == 45);
  CHECK(custom.rows.front().op == "custom_all_reduce");
  // First gemm row (line 2): m 8192, n 65536, k 4096, 15.2875 ms.
  const Measurement gemm = read_one(shared_profile("aiconfigurator/a100_sxm/gemm_perf__vllm-0.14.0.csv")).rows.front();
  CHECK(gemm.work.gemm_m == 8192);
  CHECK(gemm.work.gemm_n == 65536);
  CHECK(gemm.work.gemm_k == 4096);
  CHECK(gemm.measured_s == Approx(15.287540011935763e-3));
}

TEST_CASE("profile readers: a folder is searched recursively for the known file names") {
  const ProfileSet set = read_profiles({shared_profile("vidur/cpu_overhead")});
  CHECK(set.files.size() == 2);  // a100 and a40
  CHECK(set.rows.size() == 78 + 221);
}

TEST_CASE("profile readers: the generic format maps each operator onto the cost model's work") {
  const ProfileSet set = read_one(test_profile("generic.csv"));
  REQUIRE(set.rows.size() == 7);
  CHECK(set.rows[0].kind == MeasuredKind::gemm);
  CHECK(set.rows[0].work.gemm_n == 4096);
  CHECK(set.rows[0].measured_s == Approx(31e-6));
  CHECK(set.rows[1].kind == MeasuredKind::elementwise);
  CHECK(set.rows[3].kind == MeasuredKind::attention_prefill);
  CHECK(set.rows[3].range == "chunk >= 512");
  CHECK(set.rows[4].kind == MeasuredKind::attention_decode);
  CHECK(set.rows[5].kind == MeasuredKind::all_reduce);
  CHECK(set.rows[5].tp == 8);
  CHECK(set.rows[5].network == "nvswitch");
  CHECK(set.rows[6].kind == MeasuredKind::send_recv);
}

TEST_CASE("profile readers: a missing column is reported at the header line with its name") {
  const std::string what = error_of(test_profile("missing_column.csv"));
  CHECK_THAT(what, Contains("missing_column.csv:1: n: missing from the header; an aiconfigurator gemm_perf table needs the columns m, n, k, gemm_dtype, latency"));
}

TEST_CASE("profile readers: a bad number is reported with its file, line and column") {
  const std::string what = error_of(test_profile("bad_number.csv"));
  CHECK_THAT(what, Contains("bad_number.csv:3: time_ms: 'abc' is not a number; expected a positive number"));
}

TEST_CASE("profile readers: an empty file and a header without rows are clear errors") {
  CHECK_THAT(error_of(test_profile("empty.csv")), Contains("empty.csv: file is empty"));
  CHECK_THAT(error_of(test_profile("header_only.csv")), Contains("header_only.csv:1: no data rows after the header"));
}

TEST_CASE("profile readers: a row with the wrong number of cells names its line") {
  CHECK_THAT(error_of(test_profile("ragged.csv")), Contains("ragged.csv:3: 3 cells, but the header (line 1) has 5 columns"));
}

TEST_CASE("profile readers: an unknown generic operator is an error at its line with the valid names") {
  const std::string what = error_of(test_profile("unknown_op.csv"));
  CHECK_THAT(what, Contains("unknown_op.csv:4: op: 'convolution' is not a known operator"));
  CHECK_THAT(what, Contains("gemm, rms_norm"));
}

TEST_CASE("profile readers: a missing path or a folder without profiles is an input error") {
  CHECK_THROWS_WITH(read_profiles({test_profile("no-such-file.csv")}), Contains("no such file or folder"));
  CHECK_THROWS_WITH(read_profiles({test::data_dir() + "/hf_configs"}), Contains("no known profile CSV"));
}
