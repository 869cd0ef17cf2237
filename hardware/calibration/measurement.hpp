#pragma once
// One measured kernel (or collective, or per-step CPU cost) mapped onto the cost model's own work
// formulas (hardware/operators.hpp): the readers turn every CSV format into these, the predictor
// times them with hardware/kernel_timing.hpp, and the fitter and the fidelity report only ever
// see Measurements.
#include <cstdint>
#include <string>
#include <vector>

#include "hardware/operators.hpp"

namespace llmpo::calibration {

// Which kernel_timing function (and so which parameters) a measurement exercises.
enum class MeasuredKind { gemm, elementwise, attention_prefill, attention_decode, all_reduce, send_recv, cpu_overhead };
const char* to_string(MeasuredKind kind);

struct Measurement {
  std::string source;        // "vidur", "aiconfigurator", "generic"
  std::string file;
  int line = 0;              // the CSV line the row came from
  int64_t ordinal = 0;       // data-row number within its file, 0-based (the row split uses it)
  MeasuredKind kind = MeasuredKind::gemm;
  std::string op;            // the measured operator's name, e.g. "qkv_proj", "gemm", "rms_norm"
  std::string model;         // model the row belongs to; "" for shape-only rows
  int64_t tp = 1;            // tensor-parallel degree of the measured shard (ranks for collectives)
  std::string shape;         // human-readable shape, e.g. "M=128 N=12288 K=4096"
  std::string range;         // size bucket used in the report, e.g. "chunk >= 512", "16 KB - 64 MB"
  std::string dtype = "float16";  // the math type (fp16 / bf16 peaks are equal on every GPU here)
  OperatorWork work;         // per GPU; message_bytes for collectives and transfers
  std::string network;       // interconnect preset for collectives: "nvswitch", "pairwise-nvlink", ...
  double batch = 0;          // cpu_overhead: sequences in the batch
  double measured_s = 0;     // the measured time (median where the source gives statistics)
  // Shape split (predictor.hpp, in_split): the row's model-shape group, e.g. a GEMM's (n, k) or a
  // decode's (heads, KV heads, head_dim), and that group's rank among the distinct groups of its
  // file and kind in ascending order; -1 = the row is split by row, not by shape.
  std::vector<int64_t> shape_key;
  int64_t shape_group = -1;
};

// Ranks the distinct shape_keys of `rows` (per file and kind, ascending) into shape_group; rows
// without a key keep -1. Readers of tables split by shape call it on the rows they appended.
void assign_shape_groups(std::vector<Measurement>& rows, std::size_t first);

}  // namespace llmpo::calibration
