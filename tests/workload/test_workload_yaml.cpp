#include <catch2/catch.hpp>

#include "simulator/util/error.hpp"
#include "simulator/util/yaml_reader.hpp"
#include "simulator/workload/workload.hpp"
#include "test_paths.hpp"

using namespace llmpo;

namespace {

// Parses `text` as if it were the experiment file `file` (relative paths resolve beside it).
WorkloadSpec parse(const std::string& text, const std::string& file = "exp.yaml") {
  StrictMap root(load_yaml_string(text, file), file, "");
  StrictMap workload = root.get_map("workload");
  return parse_workload(workload);
}

std::string error_of(const std::string& text, const std::string& file = "exp.yaml") {
  try {
    parse(text, file);
  } catch (const InputError& error) {
    return error.what();
  }
  return "(no error)";
}

std::string traces_yaml() { return llmpo::test::data_dir() + "/traces/exp.yaml"; }

}  // namespace

TEST_CASE("workload yaml: the documented example parses into a spec") {
  const WorkloadSpec spec = parse(R"(workload:
  arrival: {process: gamma, rate_per_s: 5, burstiness: 0.5}
  num_requests: 1000
  prompt_tokens: {distribution: fixed, value: 512}
  output_tokens: {distribution: lognormal, mean: 256, stdev: 128, min: 1, max: 2048}
)");
  REQUIRE(spec.arrival);
  CHECK(spec.arrival->process == ArrivalProcess::gamma);
  CHECK(spec.arrival->rate_per_s == 5);
  CHECK(spec.arrival->burstiness == 0.5);
  CHECK(spec.num_requests == 1000);
  CHECK(spec.prompt_tokens->value == 512);
  CHECK(spec.output_tokens->kind == LengthKind::lognormal);
  CHECK(spec.output_tokens->max == 2048);
  const Workload w = generate_workload(spec, 1, 4096);
  CHECK(w.requests.size() == 1000);
  CHECK_THAT(w.summary, Catch::StartsWith("1000 requests, gamma 5 req/s burstiness 0.5 over") &&
                            Catch::Contains("prompt fixed(512) mean 512.0") &&
                            Catch::Contains("output lognormal(mean=256, stdev=128, min=1, max=2048)"));
}

TEST_CASE("workload yaml: every arrival process and distribution parses") {
  const WorkloadSpec steps = parse(R"(workload:
  arrival:
    process: steps
    steps: [{until_s: 60, rate_per_s: 2}, {until_s: 120, rate_per_s: 8}]
  prompt_tokens: {distribution: uniform, min: 10, max: 20}
  output_tokens: {distribution: zipf, min: 1, max: 100, exponent: 1.5}
)");
  REQUIRE(steps.arrival->steps.size() == 2);
  CHECK(steps.arrival->steps[1].until_s == 120);
  CHECK_FALSE(steps.num_requests);  // the schedule's end closes it
  const Workload w = generate_workload(steps, 1, 0);
  CHECK(w.requests.back().arrival_ns < 120 * kNsPerSecond);

  const WorkloadSpec ramp = parse(R"(workload:
  arrival: {process: ramp, ramp: {start_rate_per_s: 1, end_rate_per_s: 10, over_s: 300}}
  duration_s: 600
  prompt_tokens: {distribution: normal, mean: 100, stdev: 10}
  output_tokens: {distribution: fixed, value: 5}
)");
  CHECK(ramp.arrival->ramp.over_s == 300);
  CHECK(ramp.duration_s == 600);
  CHECK(ramp.prompt_tokens->min == 1);  // documented default
  CHECK_FALSE(ramp.prompt_tokens->max);

  const WorkloadSpec closed = parse(R"(workload:
  arrival: {process: closed_loop, clients: 8}
  num_requests: 100
  prompt_tokens: {distribution: fixed, value: 5}
  output_tokens: {distribution: fixed, value: 5}
)");
  CHECK(closed.arrival->clients == 8);
  CHECK(closed.arrival->think_time_s == 0);  // documented default
  CHECK(generate_workload(closed, 1, 0).columns[5] == std::pair<std::string, std::string>{"clients", "8"});
}

TEST_CASE("workload yaml: relative file paths resolve against the experiment file's folder") {
  const WorkloadSpec spec = parse(R"(workload:
  trace: {file: generic_small.csv, format: generic, rate_scale: 2}
  classes:
    - {name: chat, weight: 3, slo: {ttft_ms: 500, tpot_ms: 50}}
    - {name: batch, weight: 1, slo: {e2el_ms: 10000}}
)", traces_yaml());
  CHECK(spec.trace->file == llmpo::test::data_dir() + "/traces/generic_small.csv");
  CHECK(spec.trace->rows->size() == 4);
  CHECK(spec.classes[0].slo.tpot_ms == 50);
  CHECK(spec.classes[1].slo.e2el_ms == 10000);
  const Workload w = generate_workload(spec, 1, 0);
  CHECK(w.requests[3].arrival_ns == 1'000'000'000);

  const WorkloadSpec empirical = parse(R"(workload:
  arrival: {process: constant, rate_per_s: 1}
  num_requests: 50
  prompt_tokens: {distribution: empirical, file: empirical_tokens.csv, column: tokens}
  output_tokens: {distribution: fixed, value: 3}
)", traces_yaml());
  CHECK(empirical.prompt_tokens->values == std::vector<int32_t>{5, 7, 9});
  for (const Request& r : generate_workload(empirical, 1, 0).requests)
    CHECK((r.prompt_tokens == 5 || r.prompt_tokens == 7 || r.prompt_tokens == 9));
}

TEST_CASE("workload yaml: an unknown key is an error with a did-you-mean") {
  CHECK(error_of("workload:\n  arrival: {process: poisson, rate_per_s: 5}\n  num_request: 10\n") ==
        "exp.yaml:3:3: workload.num_request: unknown key 'num_request'; did you mean 'num_requests'?");
  CHECK(error_of("workload:\n  arrival: {process: poisson, rate_pers: 5}\n") ==
        "exp.yaml:2:31: workload.arrival.rate_pers: unknown key 'rate_pers'; did you mean 'rate_per_s'?");
  CHECK(error_of("workload:\n  arrival: {process: poison, rate_per_s: 5}\n") ==
        "exp.yaml:2:13: workload.arrival.process: 'poison' is not valid (valid: poisson, gamma, constant, steps, "
        "ramp, closed_loop); did you mean 'poisson'?");
}

TEST_CASE("workload yaml: gamma arrivals without burstiness name the missing key") {
  CHECK(error_of("workload:\n  arrival: {process: gamma, rate_per_s: 5}\n") ==
        "exp.yaml:2:12: workload.arrival.burstiness: missing required key 'burstiness'");
}

TEST_CASE("workload yaml: a negative rate is out of range") {
  CHECK(error_of("workload:\n  arrival:\n    process: poisson\n    rate_per_s: -5\n") ==
        "exp.yaml:4:17: workload.arrival.rate_per_s: -5 is out of range (must be at least 1e-09)");
}

TEST_CASE("workload yaml: a key of another distribution or process says it does not apply") {
  CHECK(error_of(R"(workload:
  arrival: {process: poisson, rate_per_s: 5}
  num_requests: 10
  prompt_tokens: {distribution: fixed, value: 512, stdev: 3}
)") == "exp.yaml:4:52: workload.prompt_tokens.stdev: 'stdev' does not apply to distribution 'fixed' "
       "(fixed takes: value)");
  CHECK(error_of("workload:\n  arrival: {process: poisson, rate_per_s: 5, burstiness: 2}\n") ==
        "exp.yaml:2:46: workload.arrival.burstiness: 'burstiness' does not apply to process 'poisson' "
        "(poisson takes: rate_per_s)");
  CHECK_THAT(error_of("workload:\n  trace: {file: x.csv, format: lengths, rate_scale: 2}\n"),
             Catch::Contains("workload.trace.rate_scale: 'rate_scale' does not apply to format 'lengths'"));
}

TEST_CASE("workload yaml: conflicting or missing sources of arrivals and lengths are errors") {
  const std::string lengths = "  prompt_tokens: {distribution: fixed, value: 5}\n"
                              "  output_tokens: {distribution: fixed, value: 5}\n";
  CHECK(error_of("workload:\n  arrival: {process: poisson, rate_per_s: 5}\n  num_requests: 10\n"
                 "  duration_s: 60\n" + lengths) ==
        "exp.yaml:4:3: workload.duration_s: give num_requests or duration_s, not both");
  CHECK(error_of("workload:\n  arrival: {process: poisson, rate_per_s: 5}\n" + lengths) ==
        "exp.yaml:2:3: workload.num_requests: missing required key 'num_requests' (or duration_s: when to stop "
        "generating arrivals)");
  CHECK_THAT(error_of("workload:\n  arrival: {process: closed_loop, clients: 2}\n  duration_s: 5\n" + lengths),
             Catch::Contains("workload.duration_s: a closed loop's send times depend on the simulation"));
  CHECK_THAT(error_of("workload:\n  arrival: {process: poisson, rate_per_s: 5}\n  num_requests: 3\n"
                      "  prompt_tokens: {distribution: fixed, value: 5}\n"),
             Catch::Contains("workload.output_tokens: missing required key 'output_tokens'"));
  CHECK(error_of("workload:\n  num_requests: 3\n" + lengths) ==
        "exp.yaml:2:3: workload.arrival: missing required key 'arrival' (an arrival process, or a trace with "
        "arrival times)");
  CHECK(error_of("workload:\n  arrival: {process: poisson, rate_per_s: 5}\n"
                 "  trace: {file: generic_small.csv, format: generic}\n", traces_yaml()) ==
        traces_yaml() + ":2:3: workload.arrival: the trace (format generic) supplies arrival times; remove "
        "arrival, or use format: lengths to take only lengths from the trace");
  CHECK_THAT(error_of("workload:\n  trace: {file: lengths_small.csv, format: lengths}\n  num_requests: 3\n"
                      "  arrival: {process: poisson, rate_per_s: 5}\n" + lengths, traces_yaml()),
             Catch::Contains(":5:3: workload.prompt_tokens: the trace (format lengths) supplies token lengths"));
  CHECK_THAT(error_of("workload:\n  trace: {file: nowhere.csv, format: azure}\n", traces_yaml()),
             Catch::Contains(":2:11: workload.trace.file: no such file '" + llmpo::test::data_dir() + "/traces/nowhere.csv'"));
}

TEST_CASE("workload yaml: errors inside a trace file name the file and its line") {
  CHECK(error_of("workload:\n  trace: {file: generic_unsorted.csv, format: generic}\n", traces_yaml()) ==
        llmpo::test::data_dir() + "/traces/generic_unsorted.csv:4: arrival_s: 1.0 is earlier than 2.0 on line 3; "
        "the trace must be sorted by arrival_s");
  CHECK_THAT(error_of("workload:\n  trace: {file: generic_small.csv, format: generic, start_s: 100}\n",
                      traces_yaml()),
             Catch::Contains("workload.trace.start_s: no request of the trace falls in the window [100, end) s"));
}

TEST_CASE("workload yaml: more classes than a request's 16-bit class id can name are refused") {
  // Request::class_id is an int16_t (32 bytes a request, not 40): 32,767 classes at most.
  std::string text = "workload:\n  arrival: {process: poisson, rate_per_s: 5}\n  num_requests: 3\n"
                     "  prompt_tokens: {distribution: fixed, value: 5}\n"
                     "  output_tokens: {distribution: fixed, value: 5}\n  classes:\n";
  for (int i = 0; i <= 32767; ++i) text += "    - {name: c" + std::to_string(i) + ", weight: 1}\n";
  CHECK_THAT(error_of(text), Catch::Contains("workload.classes: 32768 classes; at most 32767 are supported"));
}

TEST_CASE("workload yaml: steps, ramps and classes are checked item by item") {
  CHECK(error_of("workload:\n  arrival:\n    process: steps\n    steps:\n      - {until_s: 60, rate_per_s: 2}\n"
                 "      - {until_s: 30, rate_per_s: 8}\n") ==
        "exp.yaml:6:10: workload.arrival.steps[1].until_s: until_s 30 must be later than the previous step's 60");
  CHECK_THAT(error_of("workload:\n  arrival: {process: ramp, ramp: {start_rate_per_s: 0, end_rate_per_s: 0, over_s: 5}}\n"),
             Catch::Contains("workload.arrival.ramp.end_rate_per_s: start and end rates are both 0"));
  const std::string head = "workload:\n  arrival: {process: poisson, rate_per_s: 5}\n  num_requests: 3\n"
                           "  output_tokens: {distribution: fixed, value: 5}\n  classes:\n";
  CHECK(error_of(head + "    - {name: a, weight: 1, prompt_tokens: {distribution: fixed, value: 1}}\n"
                        "    - {name: a, weight: 1, prompt_tokens: {distribution: fixed, value: 1}}\n") ==
        "exp.yaml:7:8: workload.classes[1].name: duplicate class name 'a' (also classes[0])");
  CHECK(error_of(head + "    - {name: a, weight: 1, prompt_tokens: {distribution: fixed, value: 1}}\n"
                        "    - {name: b, weight: 1}\n") ==
        "exp.yaml:7:7: workload.classes[1].prompt_tokens: missing required key 'prompt_tokens' (this class has "
        "none and there is no top-level prompt_tokens)");
  CHECK(error_of(head + "    - {name: a, weight: 0, prompt_tokens: {distribution: fixed, value: 1}}\n") ==
        "exp.yaml:6:25: workload.classes[0].weight: 0 is out of range (must be greater than 0 and at most 1000000000)");
  CHECK_THAT(error_of(head + "    - {name: a, weight: 1, slo: {ttft: 5}, prompt_tokens: {distribution: fixed, value: 1}}\n"),
             Catch::Contains("workload.classes[0].slo.ttft: unknown key 'ttft'; did you mean 'ttft_ms'?"));
  CHECK(error_of("workload:\n  arrival: {process: poisson, rate_per_s: 5}\n  num_requests: 3\n"
                 "  prompt_tokens: {distribution: lognormal, mean: 100, stdev: 5, min: 50, max: 10}\n"
                 "  output_tokens: {distribution: fixed, value: 5}\n") ==
        "exp.yaml:4:74: workload.prompt_tokens.max: max 10 is below min 50");
}
