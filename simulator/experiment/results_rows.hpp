#pragma once
// The text of one run's results: its summary row, its requests.csv and timeseries.csv rows
// (without headers), its manifest entry and its row of the terminal table.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results_writer.hpp"
#include "simulator/util/chunked_text.hpp"

namespace llmpo {

inline constexpr const char* kRequestsHeader =
    "run,request_id,class,replica,arrival_s,first_scheduled_s,first_token_s,completion_s,prompt_tokens,"
    "output_tokens,generated_tokens,preemptions,queueing_ms,ttft_ms,tpot_ms,e2el_ms,outcome,reject_reason,session_id,turn,"
    "cached_tokens,host_loaded_tokens,prefill_replica,prefill_queue_ms,prefill_ms,decode_queue_ms,kv_transfer_ms,"
    "first_decode_ms\n";
inline constexpr const char* kTimeseriesHeader =
    "run,t_s,running,waiting,kv_utilization,output_tokens_per_s,prefix_query_tokens,cached_prompt_tokens,"
    "prefix_cache_hit_rate\n";

// A CSV cell, quoted when it holds a comma, quote or newline.
std::string csv_cell(const std::string& text);

CsvRow summary_row(const ExperimentPlan& plan, const RunOutcome& outcome, const Workload& workload);
// A run's requests.csv / timeseries.csv rows, handed to `out` in bounded chunks as they are made
// (the outputs are streamed to their files: memory does not grow with the number of requests).
void requests_rows(const RunOutcome& outcome, const Workload& workload, ChunkedText& out);
void timeseries_rows(const RunOutcome& outcome, ChunkedText& out);
// The same rows as one string (for tests: nothing of the program holds them whole).
std::string requests_rows(const RunOutcome& outcome, const Workload& workload);
std::string timeseries_rows(const RunOutcome& outcome);
nlohmann::json run_json(const RunSpec& run, const ExperimentPlan& plan);

// One warning naming the runs whose summary row says `overloaded`, and what to change; "" when none.
std::string overload_warning(const std::vector<CsvRow>& summary_rows);

const std::vector<std::string>& table_headers();
// The run table's "prefix hit" cell: the hit rate in percent, "-" without prefix lookups.
std::string prefix_hit_cell(const std::optional<PrefixCacheTotals>& prefix);
std::vector<std::string> table_cells(const ExperimentPlan& plan, const RunSpec& run, const RunMetrics& metrics);

}  // namespace llmpo
