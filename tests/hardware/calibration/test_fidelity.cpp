// Fidelity scoring (hardware/calibration/fidelity.hpp), the documented split, the calibrate /
// fidelity commands end to end, and one regression guard on the shipped calibration: the A100
// GEMM error on models the fit never saw.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>
#include <string>

#include "hardware/calibration/fidelity.hpp"
#include "hardware/calibration/profile_readers.hpp"
#include "hardware/gpu_library.hpp"
#include "simulator/cli/commands.hpp"
#include "simulator/util/error.hpp"
#include "test_paths.hpp"

using namespace llmpo;
using namespace llmpo::calibration;
using Catch::Matchers::Contains;

namespace {

const GpuLibrary& gpus() {
  static const GpuLibrary library = GpuLibrary::load_default();
  return library;
}

Measurement row(double measured_s, const std::string& op, const std::string& model) {
  Measurement m;
  m.kind = MeasuredKind::cpu_overhead;  // predicted = per_step + per_seq x batch: easy by hand
  m.op = op;
  m.model = model;
  m.measured_s = measured_s;
  return m;
}

}  // namespace

TEST_CASE("fidelity: statistics per group are computed by hand") {
  GpuSpec gpu = gpus().find("A100-80GB-SXM");
  gpu.efficiency.cpu_overhead_per_step_s = 1e-3;
  gpu.efficiency.cpu_overhead_per_seq_s = 0;
  // Predicted 1 ms for every row; measured 1.25, 0.8, 1.0 and 2.0 ms:
  //   errors 1/1.25 - 1 = -0.2, 1/0.8 - 1 = +0.25, 0, 1/2 - 1 = -0.5.
  const std::vector<Measurement> rows = {row(1.25e-3, "a", "m1"), row(0.8e-3, "a", "m1"), row(1e-3, "a", "m2"),
                                         row(2e-3, "b", "m2")};
  const auto scored = score(rows, gpu, {});
  REQUIRE(scored.size() == 4);
  CHECK(scored[0].error == Approx(-0.2));
  CHECK(scored[1].error == Approx(0.25));
  const auto by_op = group_stats(scored, op_key);
  REQUIRE(by_op.size() == 2);
  CHECK(by_op[0].key == "a");
  CHECK(by_op[0].rows == 3);
  CHECK(by_op[0].mape == Approx((0.2 + 0.25 + 0) / 3));   // 0.15
  CHECK(by_op[0].median_signed == Approx(0.0));            // of -0.2, 0, 0.25
  CHECK(by_op[0].worst->error == Approx(0.25));
  // p90 of |errors| 0, 0.2, 0.25 by linear interpolation: 0.2 + 0.8 x 0.05 = 0.24.
  CHECK(by_op[0].p90_abs == Approx(0.24));
  CHECK(by_op[1].mape == Approx(0.5));
  CHECK(rows_csv(scored).find("cpu_overhead") == std::string::npos);  // op names as given
  CHECK_THAT(summary_csv(scored), Contains("operator,a,3,0.15000,0.00000,0.24000"));
}

TEST_CASE("fidelity: the documented split puts every row on exactly one side") {
  Measurement by_model;
  by_model.source = "vidur";
  by_model.kind = MeasuredKind::gemm;
  by_model.model = "Llama-2-7b-hf";
  CHECK(in_split(by_model, Split::fit));
  CHECK_FALSE(in_split(by_model, Split::score));
  by_model.model = "Llama-2-70b-hf";
  CHECK_FALSE(in_split(by_model, Split::fit));
  CHECK(in_split(by_model, Split::score));
  Measurement shape_only;
  shape_only.source = "aiconfigurator";
  shape_only.kind = MeasuredKind::gemm;
  shape_only.ordinal = 6;
  CHECK(in_split(shape_only, Split::fit));
  shape_only.ordinal = 7;
  CHECK(in_split(shape_only, Split::score));
  CHECK(in_split(shape_only, Split::all));
  CHECK_THROWS_WITH(parse_split("held-out"), Contains("--split: 'held-out' is not valid (valid: fit, score, all)"));
}

TEST_CASE("fidelity: a collective on an unknown preset names the file, line and the valid presets") {
  Measurement m;
  m.kind = MeasuredKind::all_reduce;
  m.file = "x.csv";
  m.line = 7;
  m.network = "nvswich";
  m.tp = 2;
  m.work.message_bytes = 1024;
  m.measured_s = 1e-5;
  const PresetMap links = presets_of(InterconnectLibrary::load_default());
  CHECK_THROWS_WITH(score({m}, gpus().find("A100-80GB-SXM"), links), Contains("x.csv:7: interconnect: unknown interconnect preset 'nvswich'"));
}

// Not a timing test: the calibrated A100 profile must keep predicting GEMMs of the models left
// out of its fit (Llama-2-70B, InternLM-20B, Qwen-72B, phi-2) within 10% MAPE per operator.
TEST_CASE("fidelity: the shipped A100 calibration keeps held-out Vidur GEMMs within 10 percent per operator") {
  const std::string dir = test::measured_dir() + "/vidur/a100";
  INFO("the measured data must be in hardware/profiles/measured: " << dir);
  REQUIRE(std::filesystem::exists(dir));
  std::vector<Measurement> gemms;
  for (const auto& m : select_rows(read_profiles({dir}).rows, Split::score, {}))
    if (m.kind == MeasuredKind::gemm) gemms.push_back(m);
  REQUIRE(gemms.size() > 10000);
  for (const auto& m : gemms) CHECK_FALSE((m.model == "Llama-2-7b-hf" || m.model == "CodeLlama-34b-Instruct-hf"));
  const auto scored = score(gemms, gpus().find("A100-80GB-PCIe"), {});
  for (const auto& group : group_stats(scored, op_key)) {
    INFO(group.key << ": MAPE " << group.mape);
    CHECK(group.mape < 0.10);
  }
}

TEST_CASE("fidelity: calibrate writes a GPU file that fidelity and every --gpu option accept") {
  const std::string profiles = test::data_dir() + "/profiles/generic.csv";
  const std::string out = std::filesystem::temp_directory_path().string() + "/llmpo-calibrated-test.yaml";
  std::ostringstream calibrate_out, err;
  const int code = run_cli({"calibrate", "--gpu", "A100-80GB-SXM", "--profiles", profiles, "--out", out},
                           calibrate_out, err);
  INFO(calibrate_out.str() << err.str());
  REQUIRE(code == 0);
  CHECK_THAT(calibrate_out.str(), Contains("fit quality"));
  CHECK_THAT(calibrate_out.str(), Contains("wrote " + out));
  std::ostringstream fidelity_out;
  CHECK(run_cli({"fidelity", "--gpu", out, "--profiles", profiles}, fidelity_out, err) == 0);
  CHECK_THAT(fidelity_out.str(), Contains("fidelity of A100-80GB-SXM"));
  CHECK_THAT(fidelity_out.str(), Contains("by operator"));
  std::ostringstream roofline_out;
  CHECK(run_cli({"roofline", "--model", "Llama2-7B", "--gpu", out, "--input-tokens", "1"}, roofline_out, err) == 0);
  std::filesystem::remove(out);
}

TEST_CASE("fidelity: a malformed profile is a one-line input error naming file and line, exit 2") {
  std::ostringstream out, err;
  const int code = run_cli({"fidelity", "--gpu", "A100-80GB-SXM", "--profiles", test::data_dir() + "/profiles/bad_number.csv"}, out, err);
  CHECK(code == 2);
  CHECK_THAT(err.str(), Contains("bad_number.csv:3: time_ms: 'abc' is not a number"));
}
