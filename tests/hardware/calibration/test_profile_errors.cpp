// Every way a measured-profile CSV can be malformed, for each format calibrate and fidelity read
// (Vidur mlp / attention / network / cpu_overheads, the five aiconfigurator tables, the generic
// format): an InputError naming file:line, the column (as key path) and the bad text. Each case
// writes a small file to a fresh temporary folder.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "hardware/calibration/profile_readers.hpp"
#include "simulator/experiment_helpers.hpp"
#include "simulator/util/csv_table.hpp"
#include "simulator/util/error.hpp"

using namespace llmpo;
using namespace llmpo::calibration;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// One format: a valid file of one data row, and the columns the cases spoil.
struct Format {
  const char* name;
  const char* folder;  // Vidur names the model or node by the folder
  const char* file;
  std::vector<std::string> header;
  std::vector<std::string> row;
  std::string time_column;  // a measured time (milliseconds)
  std::string size_column;  // a whole shape number >= 1
  std::string dropped;      // a required column the missing-column case leaves out
};

const std::vector<Format> kFormats = {
    {"vidur mlp", "Llama-2-7b-hf", "mlp.csv",
     {"time_stats.attn_pre_proj.median", "n_head", "n_kv_head", "n_embd", "n_expanded_embd", "use_gated_mlp",
      "num_tokens", "num_tensor_parallel_workers"},
     {"0.05", "32", "32", "4096", "11008", "True", "16", "1"},
     "time_stats.attn_pre_proj.median", "n_head", "n_kv_head"},
    {"vidur attention", "attention-llama-2-70b-tp2", "attention.csv",
     {"time_stats.attn_decode.median", "time_stats.attn_prefill.median", "n_embd", "n_q_head", "n_kv_head",
      "num_tensor_parallel_workers", "batch_size", "prefill_chunk_size", "kv_cache_size", "is_prefill"},
     {"0.015", "", "8192", "64", "8", "2", "4", "0", "32", "False"},
     "time_stats.attn_decode.median", "batch_size", "kv_cache_size"},
    {"vidur network", "a100_dgx", "all_reduce.csv",
     {"time_stats.all_reduce.median", "num_workers", "size", "devices_per_node"},
     {"0.02", "2", "2048", "2"},
     "time_stats.all_reduce.median", "num_workers", "devices_per_node"},
    {"vidur cpu_overheads", "a100", "cpu_overheads.csv",
     {"model_name", "batch_size", "tensor_parallel_degree", "schedule_median", "sampler_e2e_median",
      "prepare_inputs_e2e_median", "process_model_outputs_median"},
     {"meta-llama/Llama-2-7b-hf", "8", "1", "0.2", "0.5", "0.7", "0.2"},
     "sampler_e2e_median", "batch_size", "tensor_parallel_degree"},
    {"aiconfigurator gemm", "a100_sxm", "gemm_perf.csv",
     {"op_name", "gemm_dtype", "m", "n", "k", "latency"},
     {"gemm", "bfloat16", "128", "4096", "4096", "0.05"},
     "latency", "m", "k"},
    {"aiconfigurator context attention", "a100_sxm", "context_attention_perf.csv",
     {"op_name", "batch_size", "isl", "num_heads", "num_key_value_heads", "head_dim", "step", "kv_cache_dtype", "latency"},
     {"context_attention", "2", "1024", "32", "8", "128", "0", "bfloat16", "0.1"},
     "latency", "num_heads", "head_dim"},
    {"aiconfigurator generation attention", "a100_sxm", "generation_attention_perf.csv",
     {"op_name", "batch_size", "isl", "num_heads", "num_key_value_heads", "head_dim", "step", "kv_cache_dtype", "latency"},
     {"generation_attention", "8", "1", "32", "8", "128", "1024", "bfloat16", "0.02"},
     "latency", "batch_size", "step"},
    {"aiconfigurator nccl", "a100_sxm", "nccl_perf.csv",
     {"op_name", "nccl_dtype", "num_gpus", "message_size", "latency"},
     {"all_reduce", "half", "2", "256", "0.01"},
     "latency", "num_gpus", "message_size"},
    {"aiconfigurator custom all_reduce", "a100_sxm", "custom_allreduce_perf.csv",
     {"op_name", "allreduce_dtype", "num_gpus", "message_size", "latency", "kernel_source"},
     {"all_reduce", "bfloat16", "2", "128", "0.005", "vLLM_custom_graph"},
     "latency", "num_gpus", "message_size"},
    {"generic", "mine", "generic.csv",
     {"op", "shape", "time_ms", "tp"},
     {"gemm", "m=128 n=4096 k=4096", "0.031", "1"},
     "time_ms", "tp", ""},
};

std::string joined(const std::vector<std::string>& cells) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) line += (i == 0 ? "" : ",") + cells[i];
  return line;
}

std::size_t index_of(const Format& format, const std::string& column) {
  for (std::size_t i = 0; i < format.header.size(); ++i)
    if (format.header[i] == column) return i;
  FAIL("no column " << column << " in " << format.name);
  return 0;
}

// The format's header and `rows` copies of its row, the last with `column` set to `value`.
std::string file_of(const Format& format, int rows = 2, const std::string& column = "", const std::string& value = "",
                    const std::string& eol = "\n") {
  std::string text = joined(format.header) + eol;
  for (int i = 1; i <= rows; ++i) {
    std::vector<std::string> row = format.row;
    if (i == rows && !column.empty()) row[index_of(format, column)] = value;
    text += joined(row) + eol;
  }
  return text;
}

struct Outcome {
  std::string path;
  std::string error;  // InputError::what(), or "(no error)"
  ProfileSet set;
};

// Writes `text` as the format's file (in its folder) and reads it as calibrate would.
Outcome read_text(const Format& format, const std::string& text) {
  const std::string root = test::fresh_dir("profile-errors");
  const std::string dir = root + "/" + format.folder;
  std::filesystem::create_directories(dir);
  Outcome outcome{test::write_file(dir, format.file, text), "(no error)", {}};
  try {
    read_profile_file(outcome.path, outcome.set);
  } catch (const InputError& error) {
    outcome.error = error.what();
  }
  std::filesystem::remove_all(root);
  return outcome;
}

}  // namespace

TEST_CASE("profile errors: every format reads its valid sample") {
  for (const Format& format : kFormats) {
    SECTION(format.name) {
      const Outcome o = read_text(format, file_of(format));
      CHECK(o.error == "(no error)");
      CHECK(o.set.rows.size() >= 2);
    }
  }
}

TEST_CASE("profile errors: an empty file, one of blank lines and one with only a header are errors") {
  for (const Format& format : kFormats) {
    SECTION(format.name) {
      const Outcome empty = read_text(format, "");
      CHECK(empty.error == empty.path + ": file is empty (0 bytes; expected a CSV header line and data rows)");
      const Outcome blank = read_text(format, "\n \n");
      CHECK(blank.error == blank.path + ": file holds only blank lines (2 lines; expected a CSV header line and data rows)");
      const Outcome header = read_text(format, joined(format.header) + "\r\n");
      CHECK_THAT(header.error, StartsWith(header.path + ":1: no data rows after the header (expected rows of " +
                                          format.header[0] + ", "));
    }
  }
}

TEST_CASE("profile errors: a missing column lists the columns needed and found") {
  for (const Format& format : kFormats) {
    if (format.dropped.empty()) continue;  // generic: see below
    SECTION(format.name) {
      Format without = format;
      const std::size_t at = index_of(format, format.dropped);
      without.header.erase(without.header.begin() + static_cast<std::ptrdiff_t>(at));
      without.row.erase(without.row.begin() + static_cast<std::ptrdiff_t>(at));
      const Outcome o = read_text(without, file_of(without));
      CHECK_THAT(o.error, StartsWith(o.path + ":1: " + format.dropped + ": missing from the header; ") &&
                              Contains(" needs the column") && Contains("; the header (line 1) has " + without.header[0]));
    }
  }
  SECTION("generic: without its three columns the format is not recognised; read as generic, the column is named") {
    const std::string text = "op,shape,time\ngemm,m=1 n=1 k=1,0.1\n";
    const Outcome o = read_text(kFormats.back(), text);
    CHECK(o.error == o.path + ":1: not a known profile format (Vidur mlp/attention/network/cpu_overheads, "
                              "aiconfigurator *_perf tables, vLLM engine-profile dense/attention/per_sequence, or the generic "
                     "op,shape,time_ms format); the header has "
                              "op, shape, time");
    ProfileSet set;
    CHECK_THROWS_WITH(read_generic(CsvTable::parse(text, o.path), set),
                      StartsWith(o.path + ":1: time_ms: missing from the header; a generic profile needs the columns "
                                          "op, shape, time_ms; the header (line 1) has op, shape, time; did you mean 'time'?"));
  }
  SECTION("a column named twice") {
    const Outcome o = read_text(kFormats.back(), "op,shape,time_ms,time_ms\ngemm,m=1 n=1 k=1,0.1,0.2\n");
    CHECK_THAT(o.error, StartsWith(o.path + ":1: time_ms: the header has this column 2 times (columns 3 and 4)"));
  }
}

TEST_CASE("profile errors: a bad measured time names file:line, the column and the text") {
  for (const Format& format : kFormats) {
    SECTION(format.name) {
      // cpu_overheads sums four phases, each >= 0; every other time must be > 0.
      const bool phase = format.time_column == "sampler_e2e_median";
      const std::string expected = phase ? "; expected a number >= 0" : "; expected a positive number";
      for (const auto& [text, reason] : std::vector<std::pair<std::string, std::string>>{
               {"abc", "'abc' is not a number"}, {"nan", "'nan' is not a finite number"},
               {"-inf", "'-inf' is not a finite number"}, {"-0.5", "'-0.5' is negative"}}) {
        const Outcome o = read_text(format, file_of(format, 3, format.time_column, text));
        CHECK(o.error == o.path + ":4: " + format.time_column + ": " + reason + expected);
      }
      const Outcome zero = read_text(format, file_of(format, 3, format.time_column, "0"));
      if (phase) CHECK(zero.error == "(no error)");
      else CHECK(zero.error == zero.path + ":4: " + format.time_column + ": '0' is zero" + expected);
    }
  }
}

TEST_CASE("profile errors: a bad shape number names file:line, the column and the text") {
  for (const Format& format : kFormats) {
    SECTION(format.name) {
      for (const auto& [text, reason] : std::vector<std::pair<std::string, std::string>>{
               {"1.5", "'1.5' is not a whole number"}, {"0", "'0' is zero"}, {"-2", "'-2' is negative"},
               {"2e9", "'2e9' is too large"}, {"", "empty cell"}, {"four", "'four' is not a number"}}) {
        const Outcome o = read_text(format, file_of(format, 2, format.size_column, text));
        if (text.empty() && format.size_column == "tp") {  // the generic format's tp is optional
          CHECK(o.error == "(no error)");
          continue;
        }
        const bool batch = format.size_column == "batch_size" && format.time_column != "sampler_e2e_median";
        CHECK(o.error == o.path + ":3: " + format.size_column + ": " + reason + "; expected a whole number from 1 to " +
                             (batch ? "65536" : "1000000000"));
      }
    }
  }
}

TEST_CASE("profile errors: rows with the wrong number of cells and unterminated quotes name their line") {
  for (const Format& format : kFormats) {
    SECTION(format.name) {
      const Outcome few = read_text(format, file_of(format) + format.row[0] + "\n");
      CHECK(few.error == few.path + ":4: 1 cells, but the header (line 1) has " +
                             std::to_string(format.header.size()) + " columns");
      const Outcome quote = read_text(format, file_of(format) + "\"" + joined(format.row) + "\n");
      CHECK_THAT(quote.error, StartsWith(quote.path + ":4:1: unterminated quoted cell"));
    }
  }
}

TEST_CASE("profile errors: a UTF-8 byte-order mark and CRLF line ends are accepted") {
  for (const Format& format : kFormats) {
    SECTION(format.name) {
      const std::string crlf = "\xEF\xBB\xBF" + file_of(format, 2, "", "", "\r\n");
      const Outcome o = read_text(format, crlf);
      CHECK(o.error == "(no error)");
      CHECK(o.set.rows.size() == read_text(format, file_of(format)).set.rows.size());
    }
  }
}

TEST_CASE("profile errors: unknown dtypes, tables and generic shapes say what is valid") {
  const auto format_named = [](const std::string& name) -> const Format& {
    for (const Format& format : kFormats)
      if (name == format.name) return format;
    FAIL("no format " << name);
    return kFormats[0];
  };
  const Format& gemm = format_named("aiconfigurator gemm");
  const Outcome dtype = read_text(gemm, file_of(gemm, 2, "gemm_dtype", "bflaot16"));
  CHECK_THAT(dtype.error, StartsWith(dtype.path + ":3: gemm_dtype: 'bflaot16' is not a known dtype (known: ") &&
                              Contains("bfloat16"));
  const Format& context = format_named("aiconfigurator context attention");
  const Outcome table = read_text(context, file_of(context, 1, "op_name", "moe"));
  CHECK_THAT(table.error, StartsWith(table.path + ":2: op_name: 'moe' is not a known aiconfigurator table"));
  const Format& generic = format_named("generic");
  const std::vector<std::pair<std::string, std::string>> shapes = {
      {"m=128 n=x k=1", "shape: n: 'x' is not a number; expected a whole number from 1 to 1000000000"},
      {"m=128 k=1", "shape: missing key 'n'"},
      {"m=128 n k=1", "shape: 'n' is not key=value"},
      {"m=1e12 n=1 k=1", "shape: m: '1e12' is too large"},
      {"m=inf n=1 k=1", "shape: m: 'inf' is not a finite number"},
  };
  for (const auto& [shape, message] : shapes) {
    const Outcome o = read_text(generic, file_of(generic, 2, "shape", shape));
    CHECK_THAT(o.error, StartsWith(o.path + ":3: " + message));
  }
  const Outcome batch = read_text(generic, "op,shape,time_ms\nattention_decode,batch=100000 cached=1 q_heads=1 "
                                           "kv_heads=1 head_dim=64,0.1\n");
  CHECK_THAT(batch.error, StartsWith(batch.path + ":2: shape: batch: '100000' is too large; expected a whole number "
                                                  "from 1 to 65536"));
  const Outcome op = read_text(generic, file_of(generic, 2, "op", "gem"));
  CHECK_THAT(op.error, StartsWith(op.path + ":3: op: 'gem' is not a known operator (valid: gemm, ") &&
                           Contains("did you mean 'gemm'?"));
}

TEST_CASE("profile errors: rows skipped on purpose are counted in the notes, never silently") {
  const Format& mlp = kFormats[0];
  const Outcome o = read_text(mlp, file_of(mlp, 2, "time_stats.attn_pre_proj.median", ""));
  CHECK(o.error == "(no error)");
  REQUIRE(o.set.rows.size() == 1);
  REQUIRE(o.set.notes.size() == 1);
  CHECK(o.set.notes[0] == o.path + ": skipped 1 empty operator time cells");
  const Format& network = kFormats[2];
  Format cross_node = network;
  cross_node.row[index_of(network, "devices_per_node")] = "1";
  const Outcome skipped = read_text(cross_node, file_of(cross_node));
  CHECK(skipped.set.rows.empty());
  CHECK(skipped.set.notes.at(0) == skipped.path + ": skipped 2 rows spanning nodes (devices_per_node < num_workers)");
}

TEST_CASE("profile errors: the text entry point reads as the file does") {
  ProfileSet set;
  read_profile_text("op,shape,time_ms\ngemm,m=1 n=2 k=3,0.5\n", "<memory>/generic.csv", set);
  REQUIRE(set.rows.size() == 1);
  CHECK(set.rows[0].line == 2);
  CHECK_THROWS_WITH(read_profile_text("op,shape,time_ms\ngemm,m=1 n=2 k=3,-1\n", "<memory>/generic.csv", set),
                    StartsWith("<memory>/generic.csv:2: time_ms: '-1' is negative"));
}
