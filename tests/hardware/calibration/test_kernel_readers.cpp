// The readers added for the vLLM 0.19 kernels: aiconfigurator's H200 tables (fp8 GEMMs, the shape
// split) and the RTX 4090 vLLM engine profile, on the in-project copies of the measured data
// (hardware/profiles/measured). Rows are checked against the CSV text, by hand.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <tuple>
#include <string>

#include "hardware/calibration/predictor.hpp"
#include "hardware/calibration/profile_readers.hpp"
#include "test_paths.hpp"

using namespace llmpo;
using namespace llmpo::calibration;

namespace {

std::string measured(const std::string& relative) {
  const std::string path = test::data_dir() + "/../../hardware/profiles/measured/" + relative;
  REQUIRE(std::filesystem::exists(path));
  return path;
}

const std::string kEngine = "serving-runs/vllm-0.19.0/rtx4090-llama-3.1-8b/engine-profile/tp1/";

const Measurement& row_at_line(const ProfileSet& set, int line) {
  for (const auto& m : set.rows)
    if (m.line == line) return m;
  FAIL("no row from line " << line);
  return set.rows.front();
}

}  // namespace

TEST_CASE("engine profile: dense.csv rows map onto Llama-3.1-8B TP1 operators") {
  ProfileSet set;
  read_profile_file(measured(kEngine + "dense.csv"), set);
  CHECK(set.rows.size() == 1368);  // 9 layers x 152 token counts
  // line 2: act_fn,1,2.592 -> SiLU-and-mul over 14336 x 1: reads 2 x 14336 x 2 B, writes 14336 x 2 B
  const Measurement& act = row_at_line(set, 2);
  CHECK(act.op == "act_mul");
  CHECK(act.kind == MeasuredKind::elementwise);
  CHECK(act.measured_s == Approx(2.592e-6));
  CHECK(act.work.input_bytes == Approx(57344));
  CHECK(act.work.output_bytes == Approx(28672));
  // line 1066: qkv_proj,1,54.898 -> 1 x 4096 -> 4096 + 2 x 1024 = 6144
  const Measurement& qkv = row_at_line(set, 1066);
  CHECK(qkv.op == "qkv_proj");
  CHECK(qkv.kind == MeasuredKind::gemm);
  CHECK(qkv.work.gemm_m == 1);
  CHECK(qkv.work.gemm_k == 4096);
  CHECK(qkv.work.gemm_n == 6144);
  CHECK(qkv.measured_s == Approx(54.898e-6));
  CHECK(qkv.work.weight_bytes == Approx(4096.0 * 6144 * 2));
}

TEST_CASE("engine profile: attention.csv and per_sequence.csv rows") {
  ProfileSet set;
  read_profile_file(measured(kEngine + "attention.csv"), set);
  // line 2: 0,0,1,16,9.31067 -> one decode on 16 cached tokens: reads 17 tokens' K/V,
  // 8 KV heads of 128 (kv_dim 1024)
  const Measurement& d = row_at_line(set, 2);
  CHECK(d.kind == MeasuredKind::attention_decode);
  CHECK(d.work.decode_seqs == 1);
  CHECK(d.work.decode_kv_tokens == 17);
  CHECK(d.work.kv_heads == 8);
  CHECK(d.measured_s == Approx(9.31067e-6));
  // line 102: 16,0,1,16,9.696 -> a 16-token chunk plus one decode: a mixed call
  const Measurement& mixed = row_at_line(set, 102);
  CHECK(mixed.op == "attention_mixed");
  CHECK(mixed.work.prefill_seqs == 1);
  CHECK(mixed.work.decode_seqs == 1);

  ProfileSet per_seq;
  read_profile_file(measured(kEngine + "per_sequence.csv"), per_seq);
  // line 2: lm_head,1,1096.93 -> 1 x 4096 -> 128256 GEMM; line 42: sampler,1,25.001
  const Measurement& head = row_at_line(per_seq, 2);
  CHECK(head.op == "lm_head");
  CHECK(head.work.gemm_n == 128256);
  CHECK(head.measured_s == Approx(1096.93e-6));
  CHECK(row_at_line(per_seq, 42).op == "sampling");
}

TEST_CASE("aiconfigurator H200: fp8 GEMM rows and the split by model shape") {
  ProfileSet set;
  read_profile_file(measured("aiconfigurator/h200_sxm/gemm_perf__vllm-0.19.0.csv"), set);
  // line 2: fp8,32768,65536,12288,40.13378567165798 ms -> 1-byte operands, bf16 output
  const Measurement& fp8 = row_at_line(set, 2);
  CHECK(fp8.op == "gemm_fp8");
  CHECK(fp8.dtype == "fp8");
  CHECK(fp8.measured_s == Approx(40.13378567165798e-3));
  CHECK(fp8.work.weight_bytes == Approx(65536.0 * 12288));
  CHECK(fp8.work.output_bytes == Approx(32768.0 * 65536 * 2));
  CHECK(row_at_line(set, 3).dtype == "bfloat16");
  // fp8_block rows are left out: 35742 bf16 + 35742 fp8.
  CHECK(set.rows.size() == 71484);

  // No (n, k) pair is on both sides, and both sides have shapes.
  std::map<std::pair<double, double>, std::set<bool>> sides;
  for (const auto& m : set.rows) {
    REQUIRE(m.shape_group >= 0);
    sides[{m.work.gemm_n, m.work.gemm_k}].insert(in_split(m, Split::fit));
  }
  std::size_t fit = 0, score = 0;
  for (const auto& [shape, side] : sides) {
    CHECK(side.size() == 1);
    (side.count(true) ? fit : score) += 1;
  }
  CHECK(fit > 0);
  CHECK(score > 0);
  CHECK(fit + score == sides.size());
}

TEST_CASE("aiconfigurator H200: the decode split keeps each head shape on one side and every head_dim on both") {
  ProfileSet set;
  read_profile_file(measured("aiconfigurator/h200_sxm/generation_attention_perf__vllm-0.19.0.csv"), set);
  // Shapes are (head_dim, KV heads, query heads per GPU): q_dim / head_dim = heads.
  std::map<std::tuple<double, double, double>, std::set<bool>> sides;
  std::map<double, std::set<bool>> head_dims;
  for (const auto& m : set.rows) {
    REQUIRE(m.shape_group >= 0);
    const bool fit = in_split(m, Split::fit);
    sides[{m.work.head_dim, m.work.kv_heads, m.shape_group}].insert(fit);
    head_dims[m.work.head_dim].insert(fit);
  }
  for (const auto& [shape, side] : sides) CHECK(side.size() == 1);
  // The table has head_dim 64 and 128; each is fitted and scored (a split that put every 128 on
  // the score side would ship a profile that never saw the head width of most models).
  REQUIRE(head_dims.size() == 2);
  for (const auto& [dim, side] : head_dims) {
    INFO("head_dim " << dim);
    CHECK(side.size() == 2);
  }
}

TEST_CASE("shape split: groups alternate in ascending order, and vLLM 0.14 tables keep the row split") {
  const std::string header = "framework,version,device,op_name,kernel_source,gemm_dtype,m,n,k,latency\n";
  const std::string rows =
      "VLLM,{},NVIDIA H200,gemm,d,bfloat16,1,4096,4096,0.01\n"   // (4096, 4096): rank 1
      "VLLM,{},NVIDIA H200,gemm,d,bfloat16,8,4096,4096,0.01\n"
      "VLLM,{},NVIDIA H200,gemm,d,bfloat16,1,1024,4096,0.01\n"   // (1024, 4096): rank 0
      "VLLM,{},NVIDIA H200,gemm,d,bfloat16,1,8192,1024,0.01\n";  // (8192, 1024): rank 2
  auto with_version = [&](const std::string& version) {
    std::string text = header, body = rows;
    for (std::size_t at; (at = body.find("{}")) != std::string::npos;) body.replace(at, 2, version);
    ProfileSet set;
    read_profile_text(text + body, "gemm_perf_test.csv", set);
    return set;
  };
  const ProfileSet by_shape = with_version("0.19.0");
  REQUIRE(by_shape.rows.size() == 4);
  CHECK(by_shape.rows[0].shape_group == 1);
  CHECK(by_shape.rows[1].shape_group == 1);
  CHECK(by_shape.rows[2].shape_group == 0);
  CHECK(by_shape.rows[3].shape_group == 2);
  CHECK_FALSE(in_split(by_shape.rows[0], Split::fit));  // odd rank: scored, with its sibling row
  CHECK_FALSE(in_split(by_shape.rows[1], Split::fit));
  CHECK(in_split(by_shape.rows[2], Split::fit));
  CHECK(in_split(by_shape.rows[3], Split::fit));
  const ProfileSet by_row = with_version("0.14.0");
  CHECK(by_row.rows[0].shape_group == -1);
  CHECK(in_split(by_row.rows[0], Split::fit));  // even row
  CHECK_FALSE(in_split(by_row.rows[1], Split::fit));
}
