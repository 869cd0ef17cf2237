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
    const auto& previous = *by_id.at(w.turn(r.id).previous_turn);
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

TEST_CASE("session run: a sweep of framework keys replays one generated workload of sessions") {
  const std::string dir = fresh_dir("session-sweep");
  const std::string file =
      write_file(dir, "e.yaml", std::string(kSessionsExperiment) + "sweep:\n  max_num_seqs: [4, 64]\n");
  REQUIRE(run_cli_args({"run", file, "--out", dir + "/out", "--quiet"}).code == 0);
  const auto manifest = nlohmann::json::parse(read_file(dir + "/out/manifest.json"));
  CHECK(manifest["workloads"].size() == 1);
  // Both points see the same requests: ids, prompts (history included) and outputs.
  const auto requests = read_csv(dir + "/out/requests.csv");
  const std::size_t run = column(requests, "run");
  std::map<std::string, std::vector<std::string>> by_run;
  for (std::size_t i = 1; i < requests.size(); ++i)
    by_run[requests[i][run]].push_back(requests[i][column(requests, "request_id")] + "/" +
                                       requests[i][column(requests, "prompt_tokens")] + "/" +
                                       requests[i][column(requests, "output_tokens")]);
  REQUIRE(by_run.size() == 2);
  CHECK(by_run["0"] == by_run["1"]);
}

TEST_CASE("session run: histories past max_model_len need over_max_model_len, then clip ends sessions") {
  const std::string dir = fresh_dir("session-limit");
  const std::string base = std::string(kSessionsExperiment);
  // 500 prefix tokens and up to 5 turns of 300 + 100: up to 2500 tokens; a limit of 1200 cuts some.
  const std::string limited = with_edits(base, {{"gpu_id: \"gpu0\"}", "gpu_id: \"gpu0\", max_model_len: 1200}"}});
  const CliRun refused = run_cli_args({"run", write_file(dir, "e.yaml", limited), "--out", dir + "/out", "--quiet"});
  CHECK(refused.code == 2);
  CHECK_THAT(refused.err, Catch::Contains("have prompt + output above max_model_len 1200") &&
                              Catch::Contains("a session ends before the turn whose history would pass it"));
  CHECK(!std::filesystem::exists(dir + "/out/summary.csv"));

  const std::string clipped = with_edits(limited, {{"  sessions:", "  over_max_model_len: clip\n  sessions:"}});
  REQUIRE(run_cli_args({"run", write_file(dir, "c.yaml", clipped), "--out", dir + "/clip", "--quiet"}).code == 0);
  const auto summary = read_csv(dir + "/clip/summary.csv");
  const int64_t ended = std::stoll(summary[1][column(summary, "sessions_ended_at_max_model_len")]);
  CHECK(ended > 0);
  const auto requests = read_csv(dir + "/clip/requests.csv");
  const std::size_t prompt = column(requests, "prompt_tokens");
  const std::size_t output = column(requests, "output_tokens");
  for (std::size_t i = 1; i < requests.size(); ++i)
    CHECK(std::stoll(requests[i][prompt]) + std::stoll(requests[i][output]) <= 1200);
  // The same spec generated here at the clip limit ends exactly as many sessions.
  StrictMap root(load_yaml_string(clipped, "c.yaml"), "c.yaml", "");
  StrictMap section = root.get_map("workload");
  const Workload w = generate_workload(parse_workload(section), 3, 1200);
  CHECK(w.sessions_ended_at_max_model_len == ended);
  CHECK(requests.size() == w.requests.size() + 1);
}
