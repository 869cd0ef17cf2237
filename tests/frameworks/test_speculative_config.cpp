// Speculative decoding's settings and acceptance model: strict reading of speculative_config,
// and the acceptance draws against the closed form E[accepted] = sum_i prod_{j<=i} a_j.
#include <catch2/catch.hpp>

#include <cmath>

#include <nlohmann/json.hpp>

#include "framework_config_fixtures.hpp"
#include "framework_driver.hpp"
#include "frameworks/framework_config.hpp"
#include "frameworks/vllm/speculative_config.hpp"
#include "frameworks/vllm/vllm_scheduler.hpp"
#include "simulator/util/units.hpp"

using namespace llmpo;
using llmpo::test::error_of;
using llmpo::test::map_of;

namespace {

constexpr double kH100Bytes = 79.2 * kGiB;

VllmSettings vllm_from(const std::string& yaml) {
  StrictMap config = map_of(yaml);
  auto settings = std::get<VllmSettings>(parse_framework_settings("VLLM", config, kH100Bytes, "h100-sxm"));
  config.reject_unknown_keys(deployment_config_keys_for("VLLM"));
  return settings;
}

}  // namespace

TEST_CASE("speculative_config: vLLM's keys are read, one acceptance rate fills every draft position") {
  const VllmSettings s = vllm_from(
      "speculative_config:\n  method: eagle\n  num_speculative_tokens: 3\n  acceptance_rate: 0.7\n"
      "  model: yuhuili/EAGLE-LLaMA3.1-Instruct-8B\n");
  REQUIRE(s.speculative.enabled());
  CHECK(s.speculative.method == "eagle");
  CHECK(s.speculative.num_speculative_tokens == 3);
  CHECK(s.speculative.acceptance_rates == std::vector<double>{0.7, 0.7, 0.7});
  // 0.7 + 0.49 + 0.343
  CHECK(s.speculative.expected_accepted_tokens() == Approx(1.533));
  CHECK(s.speculative.model_based());
  const nlohmann::json manifest = settings_to_json(s);
  CHECK(manifest["speculative_config"]["method"] == "eagle");
  CHECK(manifest["speculative_config"]["num_speculative_tokens"] == 3);
}

TEST_CASE("speculative_config: without it a vLLM manifest is unchanged and nothing speculates") {
  const VllmSettings s = vllm_from("max_num_seqs: 8\n");
  CHECK_FALSE(s.speculative.enabled());
  CHECK_FALSE(settings_to_json(s).contains("speculative_config"));
}

TEST_CASE("speculative_config: a measured acceptance-length distribution becomes conditional rates") {
  // P(accept exactly 0, 1, 2 drafts) = 0.2, 0.3, 0.5: P(L >= 1) = 0.8, P(L >= 2) = 0.5, so
  // a1 = 0.8 and a2 = 0.5 / 0.8 = 0.625; E[accepted] = 0.3 + 2 x 0.5 = 1.3 = 0.8 + 0.8 x 0.625.
  const VllmSettings s = vllm_from(
      "speculative_config: {method: mtp, num_speculative_tokens: 2, acceptance_length_distribution: [0.2, 0.3, 0.5]}\n");
  REQUIRE(s.speculative.acceptance_rates.size() == 2);
  CHECK(s.speculative.acceptance_rates[0] == Approx(0.8));
  CHECK(s.speculative.acceptance_rates[1] == Approx(0.625));
  CHECK(s.speculative.expected_accepted_tokens() == Approx(1.3));
}

TEST_CASE("speculative_config: bad input names the key and what is valid") {
  CHECK_THAT(error_of([] { vllm_from("speculative_config: {method: medusa2, num_speculative_tokens: 2, acceptance_rate: 0.5}\n"); }),
             Catch::Contains("speculative_config.method") && Catch::Contains("eagle3"));
  CHECK_THAT(error_of([] { vllm_from("speculative_config: {method: eagle, num_speculative_tokens: 3}\n"); }),
             Catch::Contains("acceptance_rate") && Catch::Contains("acceptance_length_distribution"));
  CHECK_THAT(error_of([] { vllm_from("speculative_config: {method: eagle, num_speculative_tokens: 3, acceptance_rate: [0.9, 0.8]}\n"); }),
             Catch::Contains("2 rates for num_speculative_tokens 3"));
  CHECK_THAT(error_of([] { vllm_from("speculative_config: {method: eagle, num_speculative_tokens: 2, acceptance_rate: 1.5}\n"); }),
             Catch::Contains("exp.yaml:1") && Catch::Contains("acceptance_rate"));
  CHECK_THAT(error_of([] {
               vllm_from("speculative_config: {method: mtp, num_speculative_tokens: 2, acceptance_length_distribution: [0.5, 0.3, 0.1]}\n");
             }),
             Catch::Contains("sum to 0.9000"));
  CHECK_THAT(error_of([] { vllm_from("speculative_config: {method: draft_model, num_speculative_tokens: 2, acceptance_rate: 0.5}\n"); }),
             Catch::Contains("needs `model:`"));
  CHECK_THAT(error_of([] { vllm_from("speculative_config: {method: ngram, num_speculative_tokens: 2, acceptance_rate: 0.5, draft_layers: 2}\n"); }),
             Catch::Contains("draft_layers"));
  CHECK_THAT(error_of([] { vllm_from("speculative_config: {method: eagle, num_speculative_tokens: 2, acceptance_rate: 0.5, num_spec_tokens: 2}\n"); }),
             Catch::Contains("unknown key 'num_spec_tokens'"));
  CHECK_THAT(error_of([] { vllm_from("speculative_config: {method: eagle, num_speculative_tokens: 0, acceptance_rate: 0.5}\n"); }),
             Catch::Contains("num_speculative_tokens"));
}

TEST_CASE("acceptance model: the mean accepted drafts match the closed form within 4 sigma, and each length's frequency too") {
  // a = (0.8, 0.7, 0.6): P(L = 0..3) = 0.2, 0.8 x 0.3 = 0.24, 0.56 x 0.4 = 0.224, 0.336;
  // E[L] = 0.24 + 2 x 0.224 + 3 x 0.336 = 1.696 = 0.8 + 0.56 + 0.336;
  // E[L^2] = 0.24 + 4 x 0.224 + 9 x 0.336 = 4.16, Var = 4.16 - 1.696^2 = 1.283584.
  const AcceptanceModel model({0.8, 0.7, 0.6}, 42);
  constexpr int64_t kDraws = 200000;
  std::vector<int64_t> counts(4, 0);
  double sum = 0;
  for (int64_t i = 0; i < kDraws; ++i) {
    const int32_t accepted = model.draw(i / 100, i % 100, 3);
    REQUIRE(accepted >= 0);
    REQUIRE(accepted <= 3);
    ++counts[static_cast<std::size_t>(accepted)];
    sum += accepted;
  }
  const double n = static_cast<double>(kDraws);
  const double sigma_mean = std::sqrt(1.283584 / n);
  CHECK(std::abs(sum / n - 1.696) < 4 * sigma_mean);
  const std::vector<double> p = {0.2, 0.24, 0.224, 0.336};
  for (std::size_t j = 0; j < 4; ++j) {
    const double sigma = std::sqrt(p[j] * (1 - p[j]) / n);
    CHECK(std::abs(static_cast<double>(counts[j]) / n - p[j]) < 4 * sigma);
  }
  // Deterministic: the same request and position always draw the same.
  CHECK(model.draw(7, 11, 3) == model.draw(7, 11, 3));
  // Rates 1 and 0 are certain.
  CHECK(AcceptanceModel({1, 1, 1}, 1).draw(3, 5, 3) == 3);
  CHECK(AcceptanceModel({0, 1, 1}, 1).draw(3, 5, 3) == 0);
}

TEST_CASE("vllm speculative: a decode verifies 1 + k tokens and gains accepted + 1, never past its output") {
  VllmSchedulerConfig c;
  c.max_num_seqs = 8;
  c.max_num_batched_tokens = 64;
  c.block_size = 4;
  c.num_gpu_blocks = 100;
  c.max_model_len = 1000;
  c.num_speculative_tokens = 3;
  c.lookahead_tokens = 3;
  c.acceptance = std::make_shared<const AcceptanceModel>(std::vector<double>{1, 1, 1}, 0);
  VllmScheduler vllm(c);
  test::FrameworkDriver d(vllm);
  RequestState& r = d.request(10, 7);
  REQUIRE(d.admit(r));
  REQUIRE(d.step(0));  // prefill: one token, no drafts yet
  CHECK(d.scheduled(r) == 10);
  CHECK(d.events().chunks.empty());
  CHECK(r.generated_tokens == 1);

  REQUIRE(d.step(10 * test::kMs));  // verify 1 + 3 positions over 10 cached; all accepted: 4 tokens
  CHECK(d.scheduled(r) == 4);
  CHECK(d.last_plan().shape.verify_draft_tokens == 3);
  CHECK(d.last_plan().shape.prefill.seqs == 1);  // a 4-token query: priced as a small prefill
  REQUIRE(d.events().chunks.size() == 1);
  CHECK(d.events().chunks[0].tokens == 4);
  CHECK(d.events().chunks[0].accepted == 3);
  CHECK(r.generated_tokens == 5);
  CHECK(r.computed_tokens == 14);  // the input token + 3 accepted drafts; the bonus token is new
  // KV for 10 + 4 verified + 3 lookahead = 17 tokens, capped at the request's 17 total: 5 blocks.
  CHECK(r.allocated_blocks == 5);

  REQUIRE(d.step(20 * test::kMs));  // 2 tokens left: only 1 draft is worth verifying
  CHECK(d.scheduled(r) == 2);
  CHECK(r.generated_tokens == 7);
  CHECK(d.finished(r));
  CHECK(r.spec_verifications == 2);
  CHECK(r.spec_draft_tokens == 4);
  CHECK(r.spec_accepted_tokens == 4);
}

TEST_CASE("vllm speculative: drafts are cut to the step's token budget") {
  VllmSchedulerConfig c;
  c.max_num_seqs = 8;
  c.max_num_batched_tokens = 6;
  c.block_size = 4;
  c.num_gpu_blocks = 100;
  c.max_model_len = 1000;
  c.num_speculative_tokens = 4;
  c.acceptance = std::make_shared<const AcceptanceModel>(std::vector<double>{1, 1, 1, 1}, 0);
  VllmScheduler vllm(c);
  test::FrameworkDriver d(vllm);
  RequestState& a = d.request(3, 50);
  RequestState& b = d.request(3, 50);
  REQUIRE(d.admit(a));
  REQUIRE(d.admit(b));
  REQUIRE(d.step(0));  // both prefills (3 + 3 = 6)
  REQUIRE(d.step(10 * test::kMs));
  CHECK(d.scheduled(a) == 5);  // 1 + 4 drafts
  CHECK(d.scheduled(b) == 1);  // the budget's last token: no room for drafts
  CHECK(d.last_plan().shape.verify_draft_tokens == 4);
  REQUIRE(d.events().chunks.size() == 2);
  CHECK(d.events().tokens_of(0) + d.events().tokens_of(1) == 6);
}

TEST_CASE("vllm speculative: over many full-k verifications the mean accepted drafts match the per-position closed form") {
  VllmSchedulerConfig c;
  c.max_num_seqs = 8;
  c.max_num_batched_tokens = 64;
  c.block_size = 16;
  c.num_gpu_blocks = 4000;
  c.max_model_len = 100000;
  c.num_speculative_tokens = 2;
  c.acceptance = std::make_shared<const AcceptanceModel>(std::vector<double>{0.9, 0.5}, 3);
  VllmScheduler vllm(c);
  test::FrameworkDriver d(vllm);
  RequestState& r = d.request(8, 60000);
  REQUIRE(d.admit(r));
  int64_t full = 0;
  double accepted = 0;
  SimTime t = 0;
  while (!r.finished()) {
    REQUIRE(d.step(t));
    t += 10 * test::kMs;
    for (const EmittedChunk& chunk : d.events().chunks) {
      if (chunk.drafted != 2) continue;
      ++full;
      accepted += chunk.accepted;
    }
  }
  CHECK(r.generated_tokens == 60000);  // conserved: never more than asked for
  // E = 0.9 + 0.45 = 1.35; P(0, 1, 2) = 0.1, 0.45, 0.45: E[L^2] = 0.45 + 1.8 = 2.25, Var = 0.4275.
  REQUIRE(full > 20000);
  const double sigma = std::sqrt(0.4275 / static_cast<double>(full));
  CHECK(std::abs(accepted / static_cast<double>(full) - 1.35) < 4 * sigma);
}
