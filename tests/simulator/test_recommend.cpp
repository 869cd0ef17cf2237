// `llmperforacle recommend`: the minimum memory and the maximum concurrency agree with numbers
// worked out by hand from the memory planner's documented parts, the best max_num_seqs is the
// highest-throughput candidate within the SLO, and bad input is exit code 2.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "experiment_helpers.hpp"
#include "models/memory_plan.hpp"
#include "simulator/experiment/fit_advice.hpp"
#include "simulator/experiment/recommend.hpp"
#include "simulator/experiment/seed_batch_sizes.hpp"
#include "simulator/util/units.hpp"

using namespace llmpo;
using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

nlohmann::json recommend_json(std::vector<std::string> args) {
  args.insert(args.begin(), "recommend");
  args.insert(args.end(), {"--format", "json"});
  const CliRun run = run_cli_args(args);
  INFO(run.err);
  REQUIRE(run.code == 0);
  return nlohmann::json::parse(run.out);
}

// json's "probes" of one GPU, in increasing max_num_seqs.
std::vector<nlohmann::json> probes_of(const nlohmann::json& rec, const std::string& gpu) {
  std::vector<nlohmann::json> out;
  for (const auto& p : rec["probes"])
    if (p["gpu"] == gpu) out.push_back(p);
  return out;
}

const Libraries& libraries() {
  static const Libraries loaded = Libraries::load();
  return loaded;
}

// Llama-3-8B (32 layers, hidden 4096, 32/8 heads of 128, FFN 14336, vocabulary 128256, untied,
// bf16) on an H100-SXM with vLLM's defaults there: 8192 batched tokens, 1024 sequences.
constexpr double kWeights = 2.0 * (32.0 * (4096.0 * (4096 + 2 * 1024) + 4096.0 * 4096  // q, k, v, o
                                           + 3.0 * 4096 * 14336                          // gate, up, down
                                           + 2.0 * 4096)                                 // two RMSNorms
                                   + 2.0 * 128256 * 4096                                 // embedding + LM head
                                   + 4096);                                              // final norm
// The torch peak is the larger of the FFN of the 8192-token pass (838,860,800 B) and the dummy
// sampler: 28 B per logit over 1024 sequences x 128256 + the 8192 x 4096 bf16 hidden states.
constexpr double kActivation = 28.0 * 1024 * 128256 + 8192.0 * 4096 * 2;  // 3,744,464,896
// Non-torch increase on one GPU (0.1 GiB) and the RoPE cache (8192 positions x 128 x 2 B).
constexpr double kOverhead = 0.1 * kGiB + 8192.0 * 128 * 2;
constexpr double kKvPerToken = 2.0 * 32 * 8 * 128 * 2;              // 131,072 B

}  // namespace

TEST_CASE("recommend: the minimum memory of Llama-3-8B is its parts plus one context of KV over 0.9") {
  static_assert(kWeights == 16'060'522'496.0);  // 8.03 B parameters x 2 B
  const double one_context = 8192.0 * kKvPerToken;  // 512 blocks of 16 tokens: exactly 1 GiB
  const double expected = std::ceil((kWeights + kActivation + kOverhead + one_context) / 0.9);
  const nlohmann::json rec = recommend_json({"--model", "Llama3-8B", "--gpu", "H100-SXM", "--context", "8192"});
  const auto& row = rec["gpus"][0];
  CHECK(row["min_tp1_weight_bytes"].get<double>() == kWeights);
  CHECK(row["min_tp1_activation_peak_bytes"].get<double>() == kActivation);
  CHECK(row["min_tp1_runtime_overhead_bytes"].get<double>() == kOverhead);
  CHECK(row["min_tp1_kv_bytes_one_context"].get<double>() == one_context);
  CHECK(row["min_memory_bytes_tp1"].get<double>() == expected);  // 23,320,222,834 B = 21.72 GiB
  CHECK(row["smallest_tp"] == 1);

  // It is the smallest memory: the planner starts at it and refuses one byte less.
  const ModelSpec& model = libraries().models.find("Llama3-8B");
  const GpuSpec& gpu = libraries().gpus.find("H100-SXM");
  MemoryPlanRequest request = recommend_memory_request(gpu, 1, 8192);
  request.gpu_memory_bytes = expected;
  CHECK(plan_memory(model, request).fits);
  request.gpu_memory_bytes = expected - 1;
  CHECK_FALSE(plan_memory(model, request).fits);
}

TEST_CASE("recommend: the maximum concurrency is KV tokens over the context, as `memory` reports them") {
  // By hand: floor((0.9 x 79.19 GiB - weights - activation - overhead) / (16 x 131,072)) blocks.
  const double budget = 0.9 * libraries().gpus.find("H100-SXM").memory_bytes;
  const double blocks = std::floor((budget - kWeights - kActivation - kOverhead) / (16 * kKvPerToken));
  CHECK(blocks == 26994);
  const CliRun memory = run_cli_args({"memory", "--model", "Llama3-8B", "--gpu", "H100-SXM", "--max-model-len", "8192",
                                      "--format", "json"});
  REQUIRE(memory.code == 0);
  const auto kv_tokens = nlohmann::json::parse(memory.out)["kv_capacity_tokens"].get<int64_t>();
  CHECK(kv_tokens == 26994 * 16);
  const nlohmann::json rec = recommend_json({"--model", "Llama3-8B", "--gpu", "H100-SXM", "--context", "8192"});
  const auto& row = rec["gpus"][0];
  CHECK(row["kv_capacity_tokens"] == kv_tokens);
  CHECK(row["max_concurrency"].get<double>() == Approx(431904.0 / 8192));  // 52.72x
  // Candidates 1, 2, 4, ... 32, then the cap of 52 full-context sequences.
  std::vector<int64_t> tried;
  for (const auto& p : probes_of(rec, "H100-SXM")) tried.push_back(p["max_num_seqs"].get<int64_t>());
  CHECK(tried == std::vector<int64_t>{1, 2, 4, 8, 16, 32, 52});
}

TEST_CASE("recommend: the best max_num_seqs has the highest throughput of the passing candidates") {
  for (const std::string tpot : {"100", "12"}) {
    INFO("TPOT p99 bound " << tpot << " ms");
    const nlohmann::json rec =
        recommend_json({"--model", "Llama3-8B", "--gpu", "H100-SXM", "--context", "8192", "--slo-tpot-ms", tpot});
    const auto& row = rec["gpus"][0];
    REQUIRE(row["best_max_num_seqs"].is_number());
    const int64_t best = row["best_max_num_seqs"];
    const double best_throughput = row["output_throughput_tok_per_s"];
    CHECK(row["tpot_p99_ms"].get<double>() <= std::stod(tpot));
    CHECK(row["ttft_p99_ms"].get<double>() <= 2000);
    const auto probes = probes_of(rec, "H100-SXM");
    for (std::size_t i = 0; i < probes.size(); ++i) {
      const auto& p = probes[i];
      if (p["passed"].get<bool>()) CHECK(best_throughput >= p["output_throughput_tok_per_s"].get<double>());
      // The next larger candidate fails the SLO, or the best one is the cap.
      if (p["max_num_seqs"] == best) {
        if (i + 1 < probes.size()) CHECK_FALSE(probes[i + 1]["passed"].get<bool>());
        else CHECK(best == static_cast<int64_t>(row["max_concurrency"].get<double>()));
      }
    }
  }
  const auto loose = recommend_json({"--model", "Llama3-8B", "--gpu", "H100-SXM", "--slo-tpot-ms", "100"});
  const auto tight = recommend_json({"--model", "Llama3-8B", "--gpu", "H100-SXM", "--slo-tpot-ms", "12"});
  CHECK(tight["gpus"][0]["best_max_num_seqs"].get<int64_t>() < loose["gpus"][0]["best_max_num_seqs"].get<int64_t>());
  // A bound no candidate meets: no recommendation, and the table says why.
  const CliRun none = run_cli_args({"recommend", "--model", "Llama3-8B", "--gpu", "H100-SXM", "--slo-tpot-ms", "1"});
  CHECK(none.code == 0);
  CHECK_THAT(none.out, Contains("no max_num_seqs meets the SLO (at 1: TPOT p99"));
}

TEST_CASE("recommend: Llama-3-70B does not fit a 24 GB GPU at TP 1, and the smallest TP that does is given") {
  const nlohmann::json rec = recommend_json({"--model", "Llama3-70B", "--gpu", "RTX-4090", "--context", "8192"});
  const auto& row = rec["gpus"][0];
  const double gpu_memory = row["gpu_memory_bytes"];
  CHECK(row["min_memory_bytes_tp1"].get<double>() > 6 * gpu_memory);  // 131 GiB of weights alone
  REQUIRE(row["smallest_tp"].is_number());
  const int64_t tp = row["smallest_tp"];
  CHECK(tp == 8);
  // Checked against the planner: every smaller valid TP fails, this one starts.
  const ModelSpec& model = libraries().models.find("Llama3-70B");
  const GpuSpec& gpu = libraries().gpus.find("RTX-4090");
  for (int64_t t : candidate_tps(model, gpu))
    if (t <= tp) CHECK(plan_memory(model, recommend_memory_request(gpu, t, 8192)).fits == (t == tp));
  CHECK(probes_of(rec, "RTX-4090").size() >= 1);

  // Where no TP up to 8 fits, the row says so and nothing is simulated.
  const CliRun huge = run_cli_args({"recommend", "--model", "Llama-3.1-405B", "--gpu", "L4", "--context", "8192"});
  CHECK(huge.code == 0);
  CHECK_THAT(huge.out, Contains("no TP up to 8 fits at context 8192"));
}

TEST_CASE("recommend: candidates, the AI-Flux seed batch sizes, and the csv table") {
  CHECK(max_num_seqs_candidates(1) == std::vector<int64_t>{1});
  CHECK(max_num_seqs_candidates(64) == std::vector<int64_t>{1, 2, 4, 8, 16, 32, 64});
  CHECK(max_num_seqs_candidates(5) == std::vector<int64_t>{1, 2, 4, 5});
  const auto& models = libraries().models;
  const auto& gpus = libraries().gpus;
  CHECK(seed_batch_size(models.find("Llama3-8B"), gpus.find("A100-80GB-SXM")) == "8-12");
  CHECK(seed_batch_size(models.find("Llama3-8B"), gpus.find("A100-40GB-SXM")) == "4-6");
  CHECK(seed_batch_size(models.find("Mistral-7B-v0.3"), gpus.find("L4")) == "6-8");
  CHECK(seed_batch_size(models.find("Llama3-70B"), gpus.find("A100-80GB-PCIe")) == "2-3");
  CHECK(seed_batch_size(models.find("Llama3-70B"), gpus.find("H100-SXM")).empty());

  const std::string dir = fresh_dir("recommend");
  const CliRun csv = run_cli_args({"recommend", "--model", "Llama3-8B", "--gpu", "H100-SXM", "A100-80GB-SXM", "--format", "csv"});
  REQUIRE(csv.code == 0);
  const auto table = read_csv(write_file(dir, "rec.csv", csv.out));
  REQUIRE(table.size() == 3);
  CHECK(table[2][column(table, "gpu")] == "A100-80GB-SXM");
  CHECK(table[2][column(table, "seed_batch_ai_flux")] == "8-12");
  CHECK(table[1][column(table, "min_memory_bytes_tp1")] == "23320222834");  // 21.72 GiB, in bytes
}

TEST_CASE("recommend: bad input is exit code 2 with what would be valid") {
  const auto error_of = [](std::vector<std::string> args) {
    args.insert(args.begin(), "recommend");
    const CliRun run = run_cli_args(args);
    CHECK(run.code == 2);
    return run.err;
  };
  CHECK_THAT(error_of({"--model", "Lama3-8B"}), Contains("unknown model 'Lama3-8B'; did you mean 'Llama3-8B'"));
  CHECK_THAT(error_of({"--model", "Llama3-8B", "--gpu", "H100-SMX"}), Contains("unknown GPU 'H100-SMX'; did you mean 'H100-SXM'"));
  CHECK_THAT(error_of({"--model", "Llama3-8B", "--context", "0"}), Contains("--context: 0 is out of range"));
  CHECK_THAT(error_of({"--model", "Llama3-8B", "--context", "100"}), Contains("shorter than a simulated request"));
  CHECK_THAT(error_of({"--model", "Llama3-8B", "--context", "9000"}), Contains("exceeds Llama3-8B's max_position_embeddings (8192)"));
  CHECK_THAT(error_of({"--model", "Llama3-8B", "--prompt-toks", "-5"}), Contains("--prompt-toks: -5 is out of range"));
  CHECK_THAT(error_of({"--model", "Llama3-8B", "--gen-toks", "1"}), Contains("--gen-toks: 1 is out of range"));
  CHECK_THAT(error_of({"--model", "Llama3-8B", "--slo-tpot-ms", "0"}), Contains("--slo-tpot-ms: 0 is out of range"));
  CHECK_THAT(error_of({"--model", "Llama3-8B", "--slo-ttft-ms", "abc"}), Contains("--slo-ttft-ms: expected a number"));
  CHECK_THAT(error_of({"--model", "Llama3-8B", "--format", "xml"}), Contains("valid: table, csv, json"));
  CHECK_THAT(error_of({"--gpu", "H100-SXM"}), Contains("--model: is required"));
}
