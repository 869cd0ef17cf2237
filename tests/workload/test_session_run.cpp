// End to end: `llmperforacle run` of a workload with sessions and shared prefixes writes
// requests.csv, summary.csv and vLLM JSON whose follow-up turns were sent by the simulation.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "simulator/experiment_helpers.hpp"
#include "simulator/util/yaml_reader.hpp"
#include "simulator/workload/workload.hpp"

using namespace llmpo;
using namespace llmpo::test;

namespace {

const char* kSessionsExperiment = R"(simulation:
  seed: 3
hardware:
  gpu0: {preset: H100-SXM, count: 1}
workload:
  arrival: {process: poisson, rate_per_s: 2}
  num_requests: 30
  prompt_tokens: {distribution: uniform, min: 50, max: 300}
  output_tokens: {distribution: uniform, min: 10, max: 100}
  shared_prefixes: {count: 3, tokens: {distribution: fixed, value: 500}, popularity: zipf}
  sessions: {turns: {distribution: uniform, min: 1, max: 5}, think_time_s: 2}
frameworks_to_test:
  - name: "chat"
    type: "VLLM"
    config: {model_profile_id: "Llama3-8B", gpu_id: "gpu0"}
)";

}  // namespace

TEST_CASE("session run: follow-ups are sent think_time_s after their previous turn, in every output") {
  const std::string dir = fresh_dir("session-run");
  const std::string file = write_file(dir, "e.yaml", kSessionsExperiment);
  const CliRun run = run_cli_args({"run", file, "--out", dir + "/out", "--vllm-json", "--quiet"});
  REQUIRE(run.code == 0);

  // The same workload, generated here to know each request's previous turn.
  StrictMap root(load_yaml_string(kSessionsExperiment, file), file, "");
  StrictMap section = root.get_map("workload");
  const Workload w = generate_workload(parse_workload(section), 3, 0);
  REQUIRE(w.sessions == 30);
  REQUIRE(w.requests.size() > 30);

  const auto requests = read_csv(dir + "/out/requests.csv");
  REQUIRE(requests.size() == w.requests.size() + 1);  // header + one row per request
  const std::size_t id = column(requests, "request_id");
  const std::size_t arrival = column(requests, "arrival_s");
  const std::size_t completion = column(requests, "completion_s");
  const std::size_t prompt = column(requests, "prompt_tokens");
  const std::size_t outcome = column(requests, "outcome");
  std::map<int64_t, const std::vector<std::string>*> by_id;
  for (std::size_t i = 1; i < requests.size(); ++i) by_id[std::stoll(requests[i][id])] = &requests[i];
  int64_t follow_ups = 0;
  for (const Request& r : w.requests) {
    const auto& row = *by_id.at(r.id);
    CHECK(row[outcome] == "completed");
    CHECK(std::stoll(row[prompt]) == r.prompt_tokens);
    if (!r.follow_up()) continue;
    ++follow_ups;
    const auto& previous = *by_id.at(r.previous_turn);
    CHECK(std::stod(row[arrival]) == Approx(std::stod(previous[completion]) + 2.0).margin(1e-6));
  }
  CHECK(follow_ups == static_cast<int64_t>(w.requests.size()) - 30);

  const auto summary = read_csv(dir + "/out/summary.csv");
  REQUIRE(summary.size() == 2);
  CHECK(summary[1][column(summary, "sessions")] == "30");
  CHECK(summary[1][column(summary, "num_requests")] == std::to_string(w.requests.size()));
  CHECK(std::stod(summary[1][column(summary, "reusable_prompt_share")]) > 0.3);

  bool found_json = false;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir + "/out/vllm")) {
    if (entry.path().extension() != ".json") continue;
    const auto j = nlohmann::json::parse(read_file(entry.path().string()));
    CHECK(j["num_prompts"] == static_cast<int64_t>(w.requests.size()));
    CHECK(j["completed"] == static_cast<int64_t>(w.requests.size()));
    found_json = true;
  }
  CHECK(found_json);
}
