// experiments/prefix_caching_chat.yaml shows what the experiments README says it shows: on the
// same multi-turn chat sessions, prefix caching cuts TTFT by an order of magnitude and raises
// throughput under load, a host KV tier lifts the hit rate above the GPU cache's, SGLang's radix
// cache hits about as often as vLLM's, and no cache exceeds what a cache that never evicts would
// find (the workload's reusable_prompt_share).
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "simulator/experiment_helpers.hpp"
#include "test_paths.hpp"

using namespace llmpo;
using namespace llmpo::test;

TEST_CASE("prefix caching example: caching, offload and SGLang's radix cache compare as the README says") {
  const std::string dir = fresh_dir("prefix-caching-example");
  const std::string file = traces_dir() + "/../prefix_caching_chat.yaml";
  const CliRun run = run_cli_args({"run", file, "--out", dir, "--quiet"});
  REQUIRE(run.code == 0);
  const auto summary = read_csv(dir + "/summary.csv");
  REQUIRE(summary.size() == 1 + 8);  // 4 deployments x 2 session rates
  const std::size_t framework = column(summary, "framework"), rate = column(summary, "request_rate_per_s");
  const std::size_t hit = column(summary, "prefix_cache_hit_rate"), host = column(summary, "host_loaded_tokens");
  const std::size_t ttft = column(summary, "mean_ttft_ms"), p99 = column(summary, "p99_ttft_ms");
  const std::size_t tokens = column(summary, "output_throughput_tok_per_s");
  const std::size_t reusable = column(summary, "reusable_prompt_share");
  std::map<std::string, std::map<std::string, const std::vector<std::string>*>> by;  // rate -> framework -> row
  for (std::size_t i = 1; i < summary.size(); ++i) by[summary[i][rate]][summary[i][framework]] = &summary[i];
  REQUIRE(by.size() == 2);
  for (const auto& [session_rate, rows] : by) {
    INFO("sessions per second " << session_rate);
    REQUIRE(rows.size() == 4);
    const auto& cached = *rows.at("vllm_prefix_caching");
    const auto& uncached = *rows.at("vllm_no_prefix_caching");
    const auto& offload = *rows.at("vllm_cpu_offload_64g");
    const auto& sglang = *rows.at("sglang_lpm");
    const double share = std::stod(cached[reusable]);
    CHECK(share > 0.9);  // each turn resends its whole history
    CHECK(uncached[hit].empty());  // no lookups without prefix caching: no figure, not 0%
    CHECK(std::stod(cached[hit]) > 0.5);
    CHECK(std::stod(cached[hit]) < share);
    CHECK(std::stod(offload[hit]) > std::stod(cached[hit]));
    CHECK(std::stod(offload[hit]) < share);
    CHECK(std::stod(offload[host]) > 0);
    CHECK(std::stod(cached[host]) == 0);
    CHECK(std::abs(std::stod(sglang[hit]) - std::stod(cached[hit])) < 0.05);
    CHECK(std::stod(uncached[ttft]) > 10 * std::stod(cached[ttft]));
    CHECK(std::stod(offload[p99]) < std::stod(cached[p99]));
    CHECK(std::stod(cached[tokens]) > std::stod(uncached[tokens]));
  }
}

TEST_CASE("prefix caching example: bulk decoding gives the step-by-step results with prefix caches and a host tier") {
  // Decode runs are advanced in closed form; with shared blocks, host loads pending and radix
  // locks they must still give exactly what stepping gives, byte for byte.
  const std::string dir = fresh_dir("prefix-caching-bulk");
  const std::string file = traces_dir() + "/../prefix_caching_chat.yaml";
  const std::vector<std::string> smaller = {"--set", "workload.num_requests=150", "--quiet"};
  auto run_to = [&](const std::string& out, bool step_by_step) {
    std::vector<std::string> args = {"run", file, "--out", dir + "/" + out};
    args.insert(args.end(), smaller.begin(), smaller.end());
    if (step_by_step) args.push_back("--step-by-step");
    return run_cli_args(args).code;
  };
  REQUIRE(run_to("bulk", false) == 0);
  REQUIRE(run_to("step", true) == 0);
  for (const std::string name : {"summary.csv", "requests.csv", "timeseries.csv"}) {
    INFO(name);
    const std::string bulk = read_file(dir + "/bulk/" + name);
    CHECK(bulk.size() > 100);
    CHECK(bulk == read_file(dir + "/step/" + name));
  }
}
