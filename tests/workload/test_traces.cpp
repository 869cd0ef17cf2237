#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>
#include <map>

#include "simulator/util/error.hpp"
#include "simulator/workload/trace_reader.hpp"
#include "simulator/workload/workload.hpp"
#include "test_paths.hpp"

using namespace llmpo;

namespace {

// The published traces are the project's copies in experiments/traces; their absence is a
// failure with a clear message, never a silent pass.
std::string shared_trace(const std::string& relative) {
  const std::string dir = llmpo::test::traces_dir();
  if (!std::filesystem::is_directory(dir))
    FAIL("the trace folder " << dir << " is missing; these tests need the published traces there");
  const std::string path = dir + "/" + relative;
  if (!std::filesystem::is_regular_file(path)) FAIL("the shared trace " << path << " is missing");
  return path;
}

std::string local(const std::string& name) { return llmpo::test::data_dir() + "/traces/" + name; }

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& error) {
    return error.what();
  }
  return "(no error)";
}

TraceSpec trace_spec(const std::string& path, TraceFormat format) {
  TraceSpec trace;
  trace.file = path;
  trace.format = format;
  trace.column_prompt = default_prompt_column(format);
  trace.column_output = default_output_column(format);
  trace.rows = std::make_shared<const std::vector<TraceRow>>(read_trace(path, format, trace.column_prompt, trace.column_output));
  return trace;
}

WorkloadSpec trace_workload(const TraceSpec& trace) {
  WorkloadSpec spec;
  spec.trace = trace;
  return spec;
}

}  // namespace

TEST_CASE("traces: the Azure conversation trace loads 19,366 requests from t = 0 over its hour") {
  const TraceSpec trace = trace_spec(shared_trace("azure-llm-inference-2023/AzureLLMInferenceTrace_conv.csv"),
                                     TraceFormat::azure);
  REQUIRE(trace.rows->size() == 19366);
  const Workload w = generate_workload(trace_workload(trace), 1, 0);
  REQUIRE(w.requests.size() == 19366);
  CHECK(w.requests.front().arrival_ns == 0);
  // 18:15:46.6805900 to 19:14:08.4025270: 3501.721937 s (the file's "hour").
  CHECK(w.requests.back().arrival_ns == 3'501'721'937'000);
  CHECK(w.requests[1].arrival_ns == 4'314'579'000);  // 18:15:50.9951690
  CHECK(w.requests[0].prompt_tokens == 374);
  CHECK(w.requests[0].output_tokens == 44);
  double prompt = 0, output = 0;
  for (const Request& r : w.requests) { prompt += r.prompt_tokens; output += r.output_tokens; }
  CHECK(prompt / 19366 == Approx(1154.70).epsilon(1e-5));   // column means of the file
  CHECK(output / 19366 == Approx(211.126).epsilon(1e-5));
  CHECK_FALSE(w.closed_loop);

  TraceSpec faster = trace;
  faster.rate_scale = 2.0;
  const Workload fast = generate_workload(trace_workload(faster), 1, 0);
  REQUIRE(fast.requests.size() == 19366);
  CHECK(fast.requests.back().arrival_ns == Approx(3'501'721'937'000 / 2.0).margin(1));
  CHECK(fast.columns[14] == std::pair<std::string, std::string>{"trace_rate_scale", "2"});
}

TEST_CASE("traces: the start_s..end_s window is cut in trace time, then shifted to 0 and scaled") {
  TraceSpec trace = trace_spec(shared_trace("azure-llm-inference-2023/AzureLLMInferenceTrace_code.csv"),
                               TraceFormat::azure);
  REQUIRE(trace.rows->size() == 8819);
  trace.start_s = 600;
  trace.end_s = 1200;
  trace.rate_scale = 2;
  std::size_t expected = 0;
  for (const TraceRow& row : *trace.rows) expected += row.time_s >= 600 && row.time_s < 1200;
  const Workload w = generate_workload(trace_workload(trace), 1, 0);
  CHECK(w.requests.size() == expected);
  CHECK(w.requests.front().arrival_ns >= 0);
  CHECK(w.requests.back().arrival_ns < 300 * kNsPerSecond);  // 600 s of trace at twice the rate
  WorkloadSpec first_ten = trace_workload(trace);
  first_ten.num_requests = 10;
  CHECK(generate_workload(first_ten, 1, 0).requests.size() == 10);
  first_ten.num_requests = 100'000;
  CHECK_THAT(error_of([&] { generate_workload(first_ten, 1, 0); }),
             Catch::Contains("workload.num_requests") && Catch::Contains("holds only"));
}

TEST_CASE("traces: ShareGPT supplies lengths whose means match the file's column means") {
  const TraceSpec trace = trace_spec(shared_trace("sharegpt_8k_filtered_stats_llama2_tokenizer.csv"),
                                     TraceFormat::lengths);
  REQUIRE(trace.rows->size() == 30731);
  WorkloadSpec spec = trace_workload(trace);
  ArrivalSpec arrival;
  arrival.process = ArrivalProcess::poisson;
  arrival.rate_per_s = 10;
  spec.arrival = arrival;
  // Exactly one pass over the file: every row once, so the means are the file's.
  spec.num_requests = 30731;
  const Workload all = generate_workload(spec, 3, 0);
  double prompt = 0, output = 0;
  for (const Request& r : all.requests) { prompt += r.prompt_tokens; output += r.output_tokens; }
  CHECK(prompt / 30731 == Approx(2340.033549).epsilon(1e-8));
  CHECK(output / 30731 == Approx(438.709707).epsilon(1e-8));
  // A sample of 2,000 without replacement: means within sampling error of the file's.
  spec.num_requests = 2000;
  const Workload sample = generate_workload(spec, 3, 0);
  prompt = output = 0;
  for (const Request& r : sample.requests) { prompt += r.prompt_tokens; output += r.output_tokens; }
  CHECK(prompt / 2000 == Approx(2340.03).margin(5 * 1900 / std::sqrt(2000.0)));
  CHECK(output / 2000 == Approx(438.71).margin(5 * 400 / std::sqrt(2000.0)));
  // The order is shuffled (not the file's) and seeded.
  CHECK_FALSE((sample.requests[0].prompt_tokens == 74 && sample.requests[1].prompt_tokens == 290));
  CHECK(generate_workload(spec, 3, 0).requests[5].prompt_tokens == sample.requests[5].prompt_tokens);
}

TEST_CASE("traces: a lengths trace wraps around its shuffled order when more requests are needed") {
  const TraceSpec trace = trace_spec(local("lengths_small.csv"), TraceFormat::lengths);
  WorkloadSpec spec = trace_workload(trace);
  ArrivalSpec arrival;
  arrival.process = ArrivalProcess::closed_loop;
  arrival.clients = 2;
  spec.arrival = arrival;
  spec.num_requests = 7;
  const Workload w = generate_workload(spec, 9, 0);
  REQUIRE(w.requests.size() == 7);
  std::map<int32_t, int> uses;
  for (const Request& r : w.requests) {
    ++uses[r.prompt_tokens];
    CHECK(r.output_tokens * 10 == r.prompt_tokens);  // rows stay whole
  }
  CHECK(uses.size() == 3);
  for (std::size_t i = 3; i < 7; ++i) CHECK(w.requests[i].prompt_tokens == w.requests[i - 3].prompt_tokens);
}

TEST_CASE("traces: the arXiv summarization lengths load as they are published") {
  const auto rows = read_trace(shared_trace("arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv"),
                               TraceFormat::lengths, "num_prefill_tokens", "num_decode_tokens");
  REQUIRE(rows.size() == 28257);
  CHECK(rows[0].prompt_tokens == 3772);
  CHECK(rows[0].output_tokens == 54);
  CHECK(rows[0].line == 2);
}

TEST_CASE("traces: a generic trace keeps its arrival_s and skips blank lines") {
  const TraceSpec trace = trace_spec(local("generic_small.csv"), TraceFormat::generic);
  REQUIRE(trace.rows->size() == 4);
  CHECK((*trace.rows)[1].line == 4);
  const Workload w = generate_workload(trace_workload(trace), 1, 0);
  CHECK(w.requests[2].arrival_ns == 1'500'000'000);
  CHECK(w.requests[3].prompt_tokens == 400);
}

TEST_CASE("traces: Azure timestamps are exact to the nanosecond and cross midnight and years") {
  int64_t ns = 0;
  REQUIRE(parse_timestamp_ns("1970-01-01 00:00:01.5", ns));
  CHECK(ns == 1'500'000'000);
  REQUIRE(parse_timestamp_ns("2023-11-16T18:15:46.6805900", ns));
  CHECK(ns == 1'700'158'546'680'590'000);
  CHECK_FALSE(parse_timestamp_ns("2023-11-16 18:15", ns));
  CHECK_FALSE(parse_timestamp_ns("2023-13-16 18:15:46", ns));
  CHECK_FALSE(parse_timestamp_ns("2023-11-16 18:15:46.", ns));
  const auto rows = read_trace(local("azure_new_year.csv"), TraceFormat::azure, "ContextTokens", "GeneratedTokens");
  REQUIRE(rows.size() == 3);
  CHECK(rows[1].time_s == Approx(0.75));
  CHECK(rows[2].time_s == Approx(2.5));
  // A zero-token count in a trace becomes 1 token in the workload.
  TraceSpec trace = trace_spec(local("azure_new_year.csv"), TraceFormat::azure);
  CHECK(generate_workload(trace_workload(trace), 1, 0).requests[1].output_tokens == 1);
}

TEST_CASE("traces: malformed CSV files give errors naming the file and line") {
  const auto azure = [](const std::string& name) {
    return error_of([&] { read_trace(local(name), TraceFormat::azure, "ContextTokens", "GeneratedTokens"); });
  };
  CHECK_THAT(azure("azure_missing_column.csv"),
             Catch::StartsWith(local("azure_missing_column.csv") +
                               ":1: GeneratedTokens: missing from the header; a trace of format azure needs the columns "
                               "TIMESTAMP, ContextTokens, GeneratedTokens; the header (line 1) has TIMESTAMP, "
                               "ContextTokens"));
  CHECK(azure("azure_bad_number.csv") ==
        local("azure_bad_number.csv") +
            ":3: ContextTokens: '39x' is not a number; expected a token count (a whole number from 0 to 1000000000)");
  CHECK(azure("azure_unsorted.csv") ==
        local("azure_unsorted.csv") +
            ":4: TIMESTAMP: '2023-11-16 18:15:49.0000000' is earlier than '2023-11-16 18:15:50.9951690' on line 3; "
            "the trace must be sorted by time");
  CHECK_THAT(azure("azure_bad_timestamp.csv"),
             Catch::StartsWith(local("azure_bad_timestamp.csv") + ":3: TIMESTAMP: '2023-11-16 25:15:50"));
  CHECK(azure("empty.csv") == local("empty.csv") + ": file is empty (0 bytes; expected a CSV header line and data rows)");
  CHECK_THAT(azure("header_only.csv"), Catch::StartsWith(local("header_only.csv") + ":1: no data rows after the header"));
  CHECK(azure("no_such_file.csv") == local("no_such_file.csv") + ": cannot open file");

  const auto generic = [](const std::string& name) {
    return error_of([&] { read_trace(local(name), TraceFormat::generic, "prompt_tokens", "output_tokens"); });
  };
  CHECK(generic("generic_unsorted.csv") ==
        local("generic_unsorted.csv") +
            ":4: arrival_s: 1.0 is earlier than 2.0 on line 3; the trace must be sorted by arrival_s");
  CHECK(generic("generic_short_row.csv") ==
        local("generic_short_row.csv") + ":3: 2 cells, but the header (line 1) has 3 columns");
  CHECK_THAT(generic("lengths_small.csv"),
             Catch::StartsWith(local("lengths_small.csv") +
                               ":1: arrival_s, prompt_tokens, output_tokens: missing from the header; a trace of format "
                               "generic needs the columns arrival_s, prompt_tokens, output_tokens; the header (line 1) "
                               "has num_prefill_tokens, num_decode_tokens"));
  CHECK_THAT(error_of([&] { read_trace(local("generic_small.csv"), TraceFormat::generic, "prompt_tokenz", "x"); }),
             Catch::Contains("did you mean 'prompt_tokens'?"));
}

TEST_CASE("traces: an empirical column reads token counts, quoted cells included") {
  CHECK(read_token_column(local("empirical_tokens.csv"), "tokens") == std::vector<int32_t>{5, 7, 9});
  CHECK(error_of([] { read_token_column(local("empirical_bad.csv"), "tokens"); }) ==
        local("empirical_bad.csv") +
            ":5: tokens: '12.5' is not a whole number; expected a token count (a whole number from 0 to 1000000000)");
}
