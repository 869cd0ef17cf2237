// `replay`: a real vLLM result's request lengths through the simulator, simulated vs measured.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "simulator/experiment/vllm_result.hpp"
#include "simulator/experiment_helpers.hpp"
#include "test_paths.hpp"

using namespace llmpo;
using namespace llmpo::test;

namespace {

std::string fixture() { return data_dir() + "/vllm_results/llama3_8b_h100_rate4.json"; }

}  // namespace

TEST_CASE("replay: reads the fixture's lengths and traffic as vLLM saved them") {
  const VllmResultFile f = read_vllm_result(fixture());
  CHECK(f.input_lens.size() == 50);
  CHECK(f.model_id == "meta-llama/Meta-Llama-3-8B");
  REQUIRE(f.request_rate);
  CHECK(*f.request_rate == 4.0);
  CHECK_FALSE(f.max_concurrency);
  CHECK_FALSE(f.succeeded[17]);  // "Bad Request"
  CHECK(f.start_times.empty());  // v0.10-style detailed result: no send times
  CHECK(f.numbers.at("completed") == 49);
}

TEST_CASE("replay: simulates exactly the file's successful requests and computes each relative error") {
  const CliRun run = run_cli_args({"replay", fixture(), "--model", "Llama3-8B", "--gpu", "H100-SXM", "--format", "json"});
  REQUIRE(run.code == 0);
  const auto j = nlohmann::json::parse(run.out);
  const VllmResultFile f = read_vllm_result(fixture());
  int64_t input = 0, output = 0;
  for (std::size_t i = 0; i < f.input_lens.size(); ++i)
    if (f.succeeded[i]) input += f.input_lens[i], output += f.output_lens[i];
  CHECK(j["replayed_requests"] == 49);
  const auto& m = j["metrics"];
  // The exact lengths: the simulated token totals are the file's, to the token.
  CHECK(m["total_input_tokens"]["simulated"].get<double>() == static_cast<double>(input));
  CHECK(m["total_output_tokens"]["simulated"].get<double>() == static_cast<double>(output));
  CHECK(m["total_input_tokens"]["measured"].get<double>() == static_cast<double>(input));
  CHECK(m["completed"]["simulated"] == 49.0);
  for (const char* key : {"request_throughput", "output_throughput", "mean_ttft_ms", "median_ttft_ms", "p99_ttft_ms",
                          "mean_tpot_ms", "median_tpot_ms", "p99_tpot_ms", "mean_itl_ms", "median_itl_ms", "p99_itl_ms",
                          "mean_e2el_ms", "median_e2el_ms", "p99_e2el_ms"}) {
    INFO(key);
    const auto& c = m.at(key);
    CHECK(c["measured"].get<double>() == f.numbers.at(key));
    const double sim = c["simulated"].get<double>(), meas = c["measured"].get<double>();
    CHECK(sim > 0);
    CHECK(c["relative_error"].get<double>() == Approx((sim - meas) / meas).epsilon(1e-12));
  }
  // The table prints the same error, rounded to 0.1%.
  const CliRun table = run_cli_args({"replay", fixture(), "--model", "Llama3-8B", "--gpu", "H100-SXM"});
  REQUIRE(table.code == 0);
  const double e = m["mean_ttft_ms"]["relative_error"].get<double>();
  CHECK_THAT(table.out, Catch::Contains(fmt::format("{:+.1f}%", 100 * e)));
  CHECK_THAT(table.out, Catch::Contains("49 requests (1 failed in the measurement, not replayed)"));
  CHECK_THAT(table.out, Catch::Contains("Poisson 4 req/s from seed 0"));
}

TEST_CASE("replay: start_times, or inf rate with max_concurrency, choose the arrivals") {
  const std::string dir = fresh_dir("replay");
  auto j = nlohmann::json::parse(read_file(fixture()));
  j["request_rate"] = "inf";
  j["max_concurrency"] = 4;
  const std::string closed = write_file(dir, "closed.json", j.dump());
  CliRun run = run_cli_args({"replay", closed, "--model", "Llama3-8B", "--gpu", "H100-SXM"});
  REQUIRE(run.code == 0);
  CHECK_THAT(run.out, Catch::Contains("closed loop of 4 clients"));
  j["start_times"] = nlohmann::json::array();
  for (int i = 0; i < 50; ++i) j["start_times"].push_back(1000.0 + 0.5 * i);
  const std::string timed = write_file(dir, "timed.json", j.dump());
  run = run_cli_args({"replay", timed, "--model", "Llama3-8B", "--gpu", "H100-SXM", "--format", "json"});
  REQUIRE(run.code == 0);
  const auto out = nlohmann::json::parse(run.out);
  CHECK(out["arrivals"] == "the file's start_times (shifted to start at 0)");
  // 49 requests sent 0.5 s apart (one skipped): the last is sent at 24.5 s.
  CHECK(out["metrics"]["duration"]["simulated"].get<double>() > 24.5);
}

TEST_CASE("replay: bad input is exit 2 naming the key and what is valid") {
  const std::string dir = fresh_dir("replay-bad");
  CliRun run = run_cli_args({"replay", dir + "/missing.json", "--model", "Llama3-8B", "--gpu", "H100-SXM"});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Catch::Contains("cannot open"));
  auto j = nlohmann::json::parse(read_file(fixture()));
  j.erase("input_lens");
  run = run_cli_args({"replay", write_file(dir, "a.json", j.dump()), "--model", "Llama3-8B", "--gpu", "H100-SXM"});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Catch::Contains("input_lens") && Catch::Contains("--save-detailed"));
  j = nlohmann::json::parse(read_file(fixture()));
  j["request_rate"] = -1;
  run = run_cli_args({"replay", write_file(dir, "b.json", j.dump()), "--model", "Llama3-8B", "--gpu", "H100-SXM"});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Catch::Contains("request_rate") && Catch::Contains("\"inf\""));
  run = run_cli_args({"replay", fixture(), "--model", "Llama3-8B", "--gpu", "H100-SXM", "--framework", "tgi"});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Catch::Contains("--framework") && Catch::Contains("valid: vllm, static"));
  run = run_cli_args({"replay", write_file(dir, "c.json", "{not json"), "--model", "Llama3-8B", "--gpu", "H100-SXM"});
  CHECK(run.code == 2);
  CHECK_THAT(run.err, Catch::Contains("not valid JSON"));
}
