// Vidur's profiles (microsoft/vidur): times in milliseconds per layer per GPU, statistics over
// layer instances; the median is used. Shapes are mapped onto the cost model's own operators
// with hardware/operators.hpp's work formulas (corrected accounting), exactly as
// hardware/cost_model.cpp builds a step, so a fitted parameter means the same thing there.
#include <filesystem>

#include <fmt/format.h>

#include "hardware/step_shape.hpp"
#include "simulator/util/csv_table.hpp"
#include "profile_readers.hpp"

namespace llmpo::calibration {

namespace {

constexpr double kMs = 1e-3;

std::string parent_name(const std::string& path) {
  return std::filesystem::path(path).parent_path().filename().string();
}

Measurement base(const CsvTable& csv, const CsvRow& row, int64_t ordinal) {
  Measurement m;
  m.source = "vidur";
  m.file = csv.path();
  m.line = row.line;
  m.ordinal = ordinal;
  return m;
}

std::string gemm_shape(const OperatorWork& w) {
  return fmt::format("M={:.0f} N={:.0f} K={:.0f}", w.gemm_m, w.gemm_n, w.gemm_k);
}

}  // namespace

// mlp.csv: token-level operators vs num_tokens (the GEMM M) and TP degree.
void read_vidur_mlp(const CsvTable& csv, ProfileSet& out) {
  const std::string model = parent_name(csv.path());
  const auto [c_head, c_kv, c_embd, c_ffn, c_gated, c_tokens, c_tp] =
      csv.columns({"n_head", "n_kv_head", "n_embd", "n_expanded_embd", "use_gated_mlp", "num_tokens",
                   "num_tensor_parallel_workers"},
                  "a Vidur mlp.csv");
  struct Op {
    const char* column;  // Vidur's name
    const char* name;    // ours
    MeasuredKind kind;
  };
  const Op ops[] = {
      {"attn_pre_proj", "qkv_proj", MeasuredKind::gemm},       {"attn_post_proj", "o_proj", MeasuredKind::gemm},
      {"mlp_up_proj", "gate_up_proj", MeasuredKind::gemm},     {"mlp_down_proj", "down_proj", MeasuredKind::gemm},
      {"input_layernorm", "rms_norm", MeasuredKind::elementwise},
      {"post_attention_layernorm", "rms_norm", MeasuredKind::elementwise},
      {"attn_rope", "rope", MeasuredKind::elementwise},        {"mlp_act", "act_mul", MeasuredKind::elementwise},
      {"add", "residual_add", MeasuredKind::elementwise},      {"emb", "embedding", MeasuredKind::elementwise},
  };
  std::vector<std::pair<const Op*, std::size_t>> present;  // phi-2 has no post-attention norm
  for (const Op& op : ops)
    if (auto c = csv.find(fmt::format("time_stats.{}.median", op.column))) present.push_back({&op, *c});
  if (present.empty())
    csv.fail(csv.header_line(), "no time_stats.<op>.median column of a known operator (attn_pre_proj, "
                                "attn_post_proj, mlp_up_proj, mlp_down_proj, input_layernorm, ...)");

  int64_t ordinal = 0, empty_cells = 0;
  for (const CsvRow& row : csv.rows()) {
    const double heads = profile_size(csv, row, c_head), kv_heads = profile_size(csv, row, c_kv), hidden = profile_size(csv, row, c_embd);
    const double ffn = profile_size(csv, row, c_ffn), tokens = profile_size(csv, row, c_tokens), tp = profile_size(csv, row, c_tp);
    const bool gated = csv.boolean(row, c_gated);
    const double head_dim = hidden / heads;
    LayerGeometry g;
    g.hidden = hidden;
    g.q_dim = heads / tp * head_dim;
    g.kv_dim = kv_heads / tp * head_dim;
    g.ffn_width = ffn / tp;
    g.gated_mlp = gated;
    for (const auto& [op, column] : present) {
      // An operator Vidur did not time in this row is left empty; counted in the notes.
      if (csv.empty_cell(row, column)) {
        ++empty_cells;
        continue;
      }
      const double ms = csv.positive(row, column);
      Measurement m = base(csv, row, ordinal);
      m.kind = op->kind;
      m.op = op->name;
      if (m.op == "gate_up_proj" && !gated) m.op = "up_proj";
      m.model = model;
      m.tp = static_cast<int64_t>(tp);
      m.measured_s = ms * kMs;
      const std::string name = op->column;
      if (name == "attn_pre_proj") m.work = linear_work(tokens, hidden, g.q_dim + 2 * g.kv_dim, 2, 2);
      else if (name == "attn_post_proj") m.work = linear_work(tokens, g.q_dim, hidden, 2, 2);
      else if (name == "mlp_up_proj") m.work = linear_work(tokens, hidden, g.ffn_width * (gated ? 2 : 1), 2, 2);
      else if (name == "mlp_down_proj") m.work = linear_work(tokens, g.ffn_width, hidden, 2, 2);
      else if (name == "attn_rope") m.work = rope_work(g, tokens);
      else if (name == "mlp_act") m.work = act_mul_work(g.ffn_width, tokens, 2, gated, Accounting::corrected);
      else if (name == "add") m.work = residual_add_work(g, tokens);
      else if (name == "emb") m.work = embedding_work(g, tokens);
      else m.work = rms_norm_work(g, tokens);
      m.shape = m.kind == MeasuredKind::gemm ? gemm_shape(m.work) : fmt::format("tokens={:.0f} hidden={:.0f}", tokens, hidden);
      out.rows.push_back(std::move(m));
    }
    ++ordinal;
  }
  if (empty_cells > 0)
    out.notes.push_back(fmt::format("{}: skipped {} empty operator time cells", csv.path(), empty_cells));
}

// attention.csv: FlashAttention with a paged KV cache; decode rows (batch x kv_cache_size) and
// prefill rows (one chunk of prefill_chunk_size tokens on kv_cache_size cached tokens).
void read_vidur_attention(const CsvTable& csv, ProfileSet& out) {
  const std::string model = parent_name(csv.path());
  const auto [c_embd, c_q, c_kv, c_tp, c_batch, c_chunk, c_cache, c_prefill, c_decode_ms, c_prefill_ms] =
      csv.columns({"n_embd", "n_q_head", "n_kv_head", "num_tensor_parallel_workers", "batch_size",
                   "prefill_chunk_size", "kv_cache_size", "is_prefill", "time_stats.attn_decode.median",
                   "time_stats.attn_prefill.median"},
                  "a Vidur attention.csv");
  int64_t ordinal = 0;
  for (const CsvRow& row : csv.rows()) {
    const double hidden = profile_size(csv, row, c_embd), q_heads = profile_size(csv, row, c_q), kv_heads = profile_size(csv, row, c_kv);
    const double tp = profile_size(csv, row, c_tp), cached = profile_size(csv, row, c_cache, 0);
    const double batch = static_cast<double>(csv.whole(row, c_batch, 1, kMaxProfileBatch));
    const bool prefill = csv.boolean(row, c_prefill);
    const double head_dim = hidden / q_heads;
    LayerGeometry g;
    g.hidden = hidden;
    g.q_dim = q_heads / tp * head_dim;
    g.kv_dim = kv_heads / tp * head_dim;
    // A prefill chunk of one token would be a decode; decode rows leave the chunk at 0.
    const double chunk = prefill ? profile_size(csv, row, c_chunk, 2) : 1;
    StepShape shape;
    for (int64_t i = 0; i < static_cast<int64_t>(batch); ++i)
      shape.add_sequence(static_cast<int64_t>(cached), static_cast<int64_t>(chunk));
    Measurement m = base(csv, row, ordinal++);
    m.kind = prefill ? MeasuredKind::attention_prefill : MeasuredKind::attention_decode;
    m.op = prefill ? "attention_prefill" : "attention_decode";
    m.model = model;
    m.tp = static_cast<int64_t>(tp);
    m.work = attention_work(g, shape.prefill, shape.decode, Accounting::corrected);
    m.measured_s = csv.positive(row, prefill ? c_prefill_ms : c_decode_ms) * kMs;
    m.shape = prefill ? fmt::format("chunk={:.0f} cached={:.0f} heads={:.0f}/{:.0f}", chunk, cached, q_heads / tp, kv_heads / tp)
                      : fmt::format("batch={:.0f} cached={:.0f} heads={:.0f}/{:.0f}", batch, cached, q_heads / tp, kv_heads / tp);
    m.range = prefill ? chunk_range(chunk) : "";
    out.rows.push_back(std::move(m));
  }
}

// network/<node>/{all_reduce,send_recv}.csv: NCCL times vs size in BYTES. Only groups inside one
// node (devices_per_node == num_workers) describe the intra-node presets; the node folder names
// the preset (a100_dgx: NVSwitch; *_pairwise_nvlink: bridged pairs).
void read_vidur_network(const CsvTable& csv, ProfileSet& out) {
  const std::string node = parent_name(csv.path());
  const bool all_reduce = csv.has("time_stats.all_reduce.median");
  const auto [c_ms, c_workers, c_size, c_per_node] =
      csv.columns({all_reduce ? "time_stats.all_reduce.median" : "time_stats.send_recv.median", "num_workers", "size",
                   "devices_per_node"},
                  "a Vidur network profile");
  std::string network;
  if (node.find("dgx") != std::string::npos) network = "nvswitch";
  else if (node.find("pairwise") != std::string::npos) network = "pairwise-nvlink";
  else {
    out.notes.push_back(fmt::format("{}: skipped: node folder '{}' names no known interconnect preset", csv.path(), node));
    return;
  }
  int64_t ordinal = 0, cross_node = 0;
  for (const CsvRow& row : csv.rows()) {
    const double workers = profile_size(csv, row, c_workers), bytes = csv.positive(row, c_size, kMaxProfileBytes);
    const double per_node = profile_size(csv, row, c_per_node);
    const double ms = csv.positive(row, c_ms);
    if (per_node < workers) {
      ++cross_node;
      continue;
    }
    Measurement m = base(csv, row, ordinal++);
    m.kind = all_reduce ? MeasuredKind::all_reduce : MeasuredKind::send_recv;
    m.op = all_reduce ? "all_reduce" : "send_recv";
    m.model = node;
    m.tp = static_cast<int64_t>(workers);
    m.network = network;
    m.work.message_bytes = bytes;
    m.measured_s = ms * kMs;
    m.shape = fmt::format("bytes={:.0f} ranks={:.0f}", bytes, workers);
    m.range = message_range(bytes);
    out.rows.push_back(std::move(m));
  }
  if (cross_node > 0)
    out.notes.push_back(fmt::format("{}: skipped {} rows spanning nodes (devices_per_node < num_workers)", csv.path(), cross_node));
}

// cpu_overheads.csv: per-step CPU costs of a vLLM-derived engine vs batch size. The host cost of a
// step is schedule + sampler + input preparation + output processing (medians, ms); Ray's RPC
// time is left out because vLLM's single-node workers do not use Ray.
void read_vidur_cpu_overhead(const CsvTable& csv, ProfileSet& out) {
  const auto [c_model, c_batch, c_tp, c_schedule, c_sampler, c_prepare, c_process] =
      csv.columns({"model_name", "batch_size", "tensor_parallel_degree", "schedule_median", "sampler_e2e_median",
                   "prepare_inputs_e2e_median", "process_model_outputs_median"},
                  "a Vidur cpu_overheads.csv");
  const std::size_t parts[] = {c_schedule, c_sampler, c_prepare, c_process};
  int64_t ordinal = 0;
  for (const CsvRow& row : csv.rows()) {
    Measurement m = base(csv, row, ordinal++);
    m.kind = MeasuredKind::cpu_overhead;
    m.op = "cpu_overhead";
    const std::string& name = csv.text(row, c_model);
    m.model = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
    m.tp = static_cast<int64_t>(profile_size(csv, row, c_tp));
    m.batch = profile_size(csv, row, c_batch);
    for (std::size_t c : parts) m.measured_s += csv.non_negative(row, c) * kMs;
    if (m.measured_s <= 0) csv.fail(row.line, "the four host phases of the step sum to 0 ms; a step time must be positive");
    m.shape = fmt::format("batch={:.0f}", m.batch);
    out.rows.push_back(std::move(m));
  }
}

}  // namespace llmpo::calibration
