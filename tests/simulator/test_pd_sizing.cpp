// Choosing the P:D split: `search` sizes a disaggregated deployment's two pools at once and
// `capacity` (pd_splits) ranks every split of its GPUs. The deployment is one where queueing
// theory gives the answer: constant arrivals, one request at a time in each instance, a linear
// cost model of 10 ms a step + 1 ms a new token.
//   prefill: one 15-token prompt a step = 25 ms -> an instance carries 40 req/s
//   decode:  5 output tokens, one per 11 ms step = 55 ms -> an instance carries 18.2 req/s
// Round-robin routers spread constant arrivals evenly, so a pool of n instances carries n times
// that with no queue at all (D/D/1 below utilisation 1) and overloads above it.
#include <catch2/catch.hpp>

#include "experiment_helpers.hpp"

using namespace llmpo::test;
using Catch::Matchers::Contains;

namespace {

constexpr double kPrefillPerInstance = 1000.0 / 25;  // req/s
constexpr double kDecodePerInstance = 1000.0 / 55;   // req/s

// prefill_replicas / decode_replicas: the counts as written; sections: capacity: and search:.
std::string pd_dd1(int prefill_replicas, int decode_replicas, const std::string& sections) {
  return R"(name: pd_dd1
simulation:
  seed: 3
  cost_model: {type: linear, base_ms: 10, per_token_ms: 1}
hardware:
  gpu0: {preset: H100-SXM}
workload:
  arrival: {process: constant, rate_per_s: 5}
  num_requests: 1000
  prompt_tokens: {distribution: fixed, value: 15}
  output_tokens: {distribution: fixed, value: 5}
frameworks_to_test:
  - name: pd
    config:
      model_profile_id: Llama3-8B
      prefill: {gpu_id: gpu0, max_num_seqs: 1, num_replicas: )" +
         std::to_string(prefill_replicas) + R"(}
      decode: {gpu_id: gpu0, max_num_seqs: 1, num_replicas: )" +
         std::to_string(decode_replicas) + R"(}
capacity:
  slo: {ttft_mean_ms: 60}
  low: 1
  high: 200
)" + sections;
}

// The highest rate a split carries: its slower pool's.
double split_capacity(int prefill, int decode) {
  return std::min(prefill * kPrefillPerInstance, decode * kDecodePerInstance);
}

}  // namespace

TEST_CASE("P/D sizing: search finds the fewest prefill and decode instances that carry the target") {
  const std::string dir = fresh_dir("pd-search");
  // 45 req/s: prefill needs 2 instances (45 > 40), decode 3 (45 / 18.2 = 2.5); whatever the
  // counts written (3 and 1 here), the search sizes both pools.
  const std::string file = write_file(dir, "pd.yaml", pd_dd1(3, 1, R"(search:
  target_rate_per_s: 45
  gpus: [H100-SXM]
  tensor_parallel_degree: [1]
  prices_per_gpu_hour_usd: {H100-SXM: 2}
)"));
  const CliRun run = run_cli_args({"search", file, "--out", dir + "/out"});
  INFO(run.out << run.err);
  REQUIRE(run.code == 0);
  const auto csv = read_csv(dir + "/out/search.csv");
  REQUIRE(csv.size() == 2);
  const auto& row = csv[1];
  CHECK(row[column(csv, "status")] == "ok");
  CHECK(row[column(csv, "replicas")] == "2");
  CHECK(row[column(csv, "decode_replicas")] == "3");
  CHECK(row[column(csv, "decode_gpu")] == "H100-SXM");
  CHECK(row[column(csv, "num_gpus")] == "5");
  CHECK(row[column(csv, "cost_per_hour_usd")] == "10");  // 5 GPUs x $2
  CHECK(row[column(csv, "capacity_per_replica_req_per_s")].empty());  // two pools: no one replica's capacity
  // Unqueued TTFT at the target: a 25 ms prefill, the KV read, an 11 ms first decode step.
  CHECK(std::stod(row[column(csv, "ttft_mean_ms_at_target")]) == Approx(36).epsilon(0.01));
  // What 2P+3D carries: its decode pool's 3 x 18.2 req/s, found to the bisection's 2%.
  const double capacity = std::stod(row[column(csv, "capacity_req_per_s")]);
  CHECK(capacity <= split_capacity(2, 3) * 1.001);
  CHECK(capacity >= split_capacity(2, 3) * 0.97);
  CHECK_THAT(run.out, Contains("cheapest: pd on 5 GPUs: 2 prefill x H100-SXM (TP 1 x PP 1) + 3 decode x H100-SXM "
                               "(TP 1 x PP 1), $10.00/h"));
  CHECK_THAT(run.out, Contains("2P+3D"));
}

TEST_CASE("P/D sizing: search finds nothing when even max_replicas of each pool fail, and says so") {
  const std::string dir = fresh_dir("pd-search-infeasible");
  // TTFT can never be under 30 ms: a prefill takes 25 ms and the first decode step 11 ms.
  std::string text = pd_dd1(1, 1, R"(search:
  target_rate_per_s: 10
  gpus: [H100-SXM]
  tensor_parallel_degree: [1]
  max_replicas: 4
)");
  text.replace(text.find("ttft_mean_ms: 60"), 16, "ttft_mean_ms: 30");
  const CliRun run = run_cli_args({"search", write_file(dir, "pd.yaml", text), "--out", dir + "/out"});
  INFO(run.out << run.err);
  REQUIRE(run.code == 0);
  const auto csv = read_csv(dir + "/out/search.csv");
  REQUIRE(csv.size() == 2);
  CHECK(csv[1][column(csv, "status")] == "infeasible");
  CHECK_THAT(csv[1][column(csv, "reason")], Contains("4 prefill + 4 decode instances (max_replicas) at the target: ttft_mean_ms"));
}

TEST_CASE("P/D sizing: capacity with pd_splits ranks every split of the GPUs and marks the best") {
  const std::string dir = fresh_dir("pd-splits");
  // 5 GPUs as written 1P+4D: the splits carry min(40 P, 18.2 D): 40, 54.5, 36.4 and 18.2 req/s.
  const std::string file = write_file(dir, "pd.yaml", pd_dd1(1, 4, "  pd_splits: true\n"));
  const CliRun run = run_cli_args({"capacity", file, "--out", dir + "/out"});
  INFO(run.out << run.err);
  REQUIRE(run.code == 0);
  const auto csv = read_csv(dir + "/out/capacity.csv");
  REQUIRE(csv.size() == 5);
  for (int i = 1; i <= 4; ++i) {
    const auto& row = csv[static_cast<std::size_t>(i)];
    const int prefill = i, decode = 5 - i;
    CHECK(row[column(csv, "pd_split")] == std::to_string(prefill) + "P+" + std::to_string(decode) + "D");
    CHECK(row[column(csv, "num_replicas")] == std::to_string(prefill));
    CHECK(row[column(csv, "decode_num_replicas")] == std::to_string(decode));
    CHECK(row[column(csv, "num_gpus")] == "5");
    const double capacity = std::stod(row[column(csv, "capacity")]);
    CHECK(capacity <= split_capacity(prefill, decode) * 1.001);
    CHECK(capacity >= split_capacity(prefill, decode) * 0.97);
    CHECK(row[column(csv, "best_pd_split")] == (prefill == 2 ? "true" : "false"));
  }
  CHECK_THAT(run.out, Contains("best P:D split of run 0 pd's 5 GPUs: 2 prefill + 3 decode instances, 54.3 req/s (1P+4D "
                               "as written: 39.8)"));
  // Every probe names its split, so the report charts each split's bisection apart.
  const auto log = read_csv(dir + "/out/capacity_log.csv");
  int with_split = 0;
  for (std::size_t i = 1; i < log.size(); ++i) with_split += log[i][column(log, "pd_split")].ends_with("D");
  CHECK(with_split == static_cast<int>(log.size()) - 1);
}

TEST_CASE("P/D sizing: the pool keys need a disaggregated entry, and name their GPUs") {
  const std::string dir = fresh_dir("pd-sizing-errors");
  // An aggregated deployment: neither pd_splits nor the pools' search lists apply.
  std::string aggregated = pd_dd1(1, 1, "  pd_splits: true\n");
  aggregated.replace(aggregated.find("      prefill:"), std::string::npos,
                     "      gpu_id: gpu0\n      max_num_seqs: 1\ncapacity:\n  slo: {ttft_mean_ms: 60}\n  low: 1\n  "
                     "high: 200\n  pd_splits: true\n");
  const CliRun splits = run_cli_args({"validate", write_file(dir, "a.yaml", aggregated)});
  CHECK(splits.code == 2);
  CHECK_THAT(splits.err, Contains("capacity.pd_splits: splits the GPUs of a disaggregated entry"));
  std::string pools = aggregated;
  pools.replace(pools.find("  pd_splits: true\n"), std::string::npos,
                "search:\n  target_rate_per_s: 4\n  gpus: [H100-SXM]\n  decode_tensor_parallel_degree: [2]\n");
  const CliRun search = run_cli_args({"validate", write_file(dir, "b.yaml", pools)});
  CHECK(search.code == 2);
  CHECK_THAT(search.err, Contains("search.decode_tensor_parallel_degree: sizes the pools of a disaggregated entry"));
  const CliRun gpus = run_cli_args({"validate", write_file(dir, "c.yaml", pd_dd1(1, 1, R"(search:
  target_rate_per_s: 4
  gpus: [H100-SXM]
  decode_gpus: [H2OO]
)"))});
  CHECK(gpus.code == 2);
  CHECK_THAT(gpus.err, Contains("search.decode_gpus: unknown GPU 'H2OO'"));
}
