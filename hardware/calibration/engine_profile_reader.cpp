// The vLLM engine profile of LLMServingSim's profiler (casys-kaist/LLMServingSim, profiler/perf/):
// per-layer times of a real vLLM engine on one GPU, in MICROSECONDS, measured with one decoder
// layer and dummy weights. Files (hardware/profiles/measured/SOURCES.md):
//   <profile>/meta.yaml                     model, vLLM version, engine settings (enforce_eager)
//   <profile>/tp<N>/dense.csv               layer,tokens,time_us      token-level operators
//   <profile>/tp<N>/attention.csv           prefill_chunk,kv_prefill,n_decode,kv_decode,time_us
//   <profile>/tp<N>/per_sequence.csv        layer,sequences,time_us   lm_head, sampler
// Shapes come from the model named in meta.yaml (the project's model library), sharded over N.
//
// How the times are read: the profile ran in eager mode (meta.yaml enforce_eager: true, no CUDA
// graphs), so each time is what the profiler saw for the module: its kernels plus their launch
// gaps. The fitted fixed costs (kernel_latency, elementwise_latency, attention latencies) therefore
// include eager launch overhead; under CUDA graphs small kernels run faster than these values say.
// An attention row is one call: a prefill chunk of `prefill_chunk` new tokens on `kv_prefill`
// cached tokens (when the chunk is > 0) plus `n_decode` decodes, each on `kv_decode` cached tokens.
#include <filesystem>

#include <fmt/format.h>

#include "hardware/step_shape.hpp"
#include "models/model_library.hpp"
#include "profile_readers.hpp"
#include "simulator/util/csv_table.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"
#include "simulator/util/yaml_reader.hpp"

namespace llmpo::calibration {

namespace {

constexpr double kUs = 1e-6;

struct EngineModel {
  std::string name;
  LayerGeometry g;
  double vocab = 0;
  int64_t tp = 1;
};

// meta.yaml one folder above tp<N>/: the model id resolved in the model library, the TP degree
// from the folder name.
EngineModel engine_model(const std::string& csv_path) {
  namespace fs = std::filesystem;
  const fs::path folder = fs::path(csv_path).parent_path();
  const std::string tp_name = folder.filename().string();
  const fs::path meta = folder.parent_path() / "meta.yaml";
  if (!fs::is_regular_file(meta))
    throw InputError(SourcePos{csv_path, 0, 0}, "engine profile",
                     fmt::format("no meta.yaml beside the tp<N> folder (looked for {})", meta.string()));
  const YAML::Node root = load_yaml_file(meta.string());
  if (!root["model"] || !root["model"].IsScalar())
    throw InputError(SourcePos{meta.string(), 1, 1}, "model", "meta.yaml has no model name");
  EngineModel out;
  out.name = root["model"].as<std::string>();
  const ModelLibrary library = ModelLibrary::load_default();  // kept alive: find() returns a reference into it
  const ModelSpec& model = library.find(out.name);
  const bool tp_folder = tp_name.size() > 2 && tp_name.size() < 6 && tp_name.rfind("tp", 0) == 0 &&
                         tp_name.find_first_not_of("0123456789", 2) == std::string::npos;
  if (tp_folder) out.tp = std::stoll(tp_name.substr(2));
  if (out.tp < 1 || model.num_attention_heads % out.tp != 0)
    throw InputError(SourcePos{csv_path, 0, 0}, "engine profile", fmt::format("folder '{}' is not a valid tp<N> for {}", tp_name, out.name));
  const double tp = static_cast<double>(out.tp);
  out.g.hidden = static_cast<double>(model.hidden_size);
  out.g.q_dim = static_cast<double>(model.q_dim()) / tp;
  out.g.kv_dim = static_cast<double>(std::max<int64_t>(1, model.num_kv_heads / out.tp) * model.head_dim);
  out.g.head_dim = static_cast<double>(model.head_dim);
  out.g.ffn_width = static_cast<double>(model.intermediate_size) / tp;
  out.g.gated_mlp = model.gated_mlp;
  out.vocab = static_cast<double>(model.vocab_size);
  return out;
}

Measurement base(const CsvTable& csv, const CsvRow& row, int64_t ordinal, const EngineModel& em) {
  Measurement m;
  m.source = "vllm-engine";
  m.file = csv.path();
  m.line = row.line;
  m.ordinal = ordinal;
  m.model = em.name;
  m.tp = em.tp;
  m.dtype = "bfloat16";
  return m;
}

}  // namespace

void read_engine_dense(const CsvTable& csv, ProfileSet& out) {
  const auto [c_layer, c_tokens, c_us] = csv.columns({"layer", "tokens", "time_us"}, "an engine-profile dense.csv");
  const EngineModel em = engine_model(csv.path());
  const LayerGeometry& g = em.g;
  const std::size_t first = out.rows.size();
  int64_t ordinal = 0;
  for (const CsvRow& row : csv.rows()) {
    const std::string& layer = csv.text(row, c_layer);
    const double tokens = profile_size(csv, row, c_tokens);
    Measurement m = base(csv, row, ordinal++, em);
    m.measured_s = csv.positive(row, c_us) * kUs;
    m.shape_key = {static_cast<int64_t>(tokens)};
    m.shape = fmt::format("tokens={:.0f}", tokens);
    auto gemm = [&](const char* op, double in, double out_features) {
      m.kind = MeasuredKind::gemm;
      m.op = op;
      m.work = linear_work(tokens, in, out_features, g.act_bytes, g.weight_bytes);
    };
    auto elementwise = [&](const char* op, const OperatorWork& work) {
      m.kind = MeasuredKind::elementwise;
      m.op = op;
      m.work = work;
    };
    if (layer == "qkv_proj") gemm("qkv_proj", g.hidden, g.q_dim + 2 * g.kv_dim);
    else if (layer == "o_proj") gemm("o_proj", g.q_dim, g.hidden);
    else if (layer == "gate_up_proj") gemm("gate_up_proj", g.hidden, g.ffn_width * (g.gated_mlp ? 2 : 1));
    else if (layer == "down_proj") gemm("down_proj", g.ffn_width, g.hidden);
    // vLLM's RMSNorm modules fuse the residual add (fused_add_rms_norm) after the first layer;
    // the cost model's rms_norm work is the norm's own traffic.
    else if (layer == "layernorm" || layer == "final_layernorm") elementwise("rms_norm", rms_norm_work(g, tokens));
    else if (layer == "rotary_emb") elementwise("rope", rope_work(g, tokens));
    else if (layer == "act_fn") elementwise("act_mul", act_mul_work(g.ffn_width, tokens, g.act_bytes, g.gated_mlp, Accounting::corrected));
    else if (layer == "embedding") elementwise("embedding", embedding_work(g, tokens));
    else
      csv.fail(row, c_layer, fmt::format("'{}' is not a known engine-profile layer (known: act_fn, down_proj, embedding, "
                                         "final_layernorm, gate_up_proj, layernorm, o_proj, qkv_proj, rotary_emb)",
                                         CsvTable::shown(layer)));
    out.rows.push_back(std::move(m));
  }
  assign_shape_groups(out.rows, first);
}

void read_engine_per_sequence(const CsvTable& csv, ProfileSet& out) {
  const auto [c_layer, c_seqs, c_us] = csv.columns({"layer", "sequences", "time_us"}, "an engine-profile per_sequence.csv");
  const EngineModel em = engine_model(csv.path());
  const std::size_t first = out.rows.size();
  int64_t ordinal = 0;
  for (const CsvRow& row : csv.rows()) {
    const std::string& layer = csv.text(row, c_layer);
    const double seqs = profile_size(csv, row, c_seqs);
    Measurement m = base(csv, row, ordinal++, em);
    m.measured_s = csv.positive(row, c_us) * kUs;
    m.shape_key = {static_cast<int64_t>(seqs)};
    m.shape = fmt::format("sequences={:.0f}", seqs);
    if (layer == "lm_head") {  // one token per sequence against the (vocabulary-parallel) head
      m.kind = MeasuredKind::gemm;
      m.op = "lm_head";
      m.work = linear_work(seqs, em.g.hidden, em.vocab / static_cast<double>(em.tp), em.g.act_bytes, em.g.weight_bytes);
    } else if (layer == "sampler") {
      m.kind = MeasuredKind::elementwise;
      m.op = "sampling";
      m.work = sampling_work(em.vocab, seqs);
    } else {
      csv.fail(row, c_layer, fmt::format("'{}' is not a known per-sequence layer (known: lm_head, sampler)", CsvTable::shown(layer)));
    }
    out.rows.push_back(std::move(m));
  }
  assign_shape_groups(out.rows, first);
}

void read_engine_attention(const CsvTable& csv, ProfileSet& out) {
  const auto [c_chunk, c_kvp, c_n, c_kvd, c_us] =
      csv.columns({"prefill_chunk", "kv_prefill", "n_decode", "kv_decode", "time_us"}, "an engine-profile attention.csv");
  const EngineModel em = engine_model(csv.path());
  int64_t ordinal = 0, skipped = 0;
  for (const CsvRow& row : csv.rows()) {
    const double chunk = profile_size(csv, row, c_chunk, 0), kv_prefill = profile_size(csv, row, c_kvp, 0);
    const int64_t n_decode = csv.whole(row, c_n, 0, kMaxProfileBatch);
    const double kv_decode = profile_size(csv, row, c_kvd, 0);
    const double seconds = csv.positive(row, c_us) * kUs;
    // A one-token "chunk" is a decode in the cost model's terms; an empty row has no work.
    if (chunk == 1 || (chunk == 0 && n_decode == 0)) {
      ++skipped;
      continue;
    }
    StepShape shape;
    if (chunk > 0) shape.add_sequence(static_cast<int64_t>(kv_prefill), static_cast<int64_t>(chunk));
    for (int64_t i = 0; i < n_decode; ++i) shape.add_decode(static_cast<int64_t>(kv_decode));
    Measurement m = base(csv, row, ordinal++, em);
    m.kind = chunk > 0 ? MeasuredKind::attention_prefill : MeasuredKind::attention_decode;
    m.op = chunk > 0 ? (n_decode > 0 ? "attention_mixed" : "attention_prefill") : "attention_decode";
    m.work = attention_work(em.g, shape.prefill, shape.decode, Accounting::corrected);
    m.measured_s = seconds;
    m.shape = fmt::format("chunk={:.0f} cached={:.0f} decodes={} context={:.0f}", chunk, kv_prefill, n_decode, kv_decode);
    m.range = chunk > 0 ? chunk_range(chunk) : "";
    out.rows.push_back(std::move(m));
  }
  if (skipped > 0)
    out.notes.push_back(fmt::format("{}: skipped {} rows without a prefill chunk > 1 or decodes", csv.path(), skipped));
}

}  // namespace llmpo::calibration
