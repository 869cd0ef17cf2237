// The GPU library (hardware/gpus/*.yaml): loading, lookup, strict parsing errors, datasheet
// sanity and experiment-style overrides.
#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "hardware/gpu_file.hpp"
#include "hardware/gpu_library.hpp"
#include "hardware/interconnect.hpp"
#include "simulator/util/data_paths.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/name_index.hpp"
#include "simulator/util/yaml_reader.hpp"

using namespace llmpo;
using Catch::Matchers::Contains;

namespace {

const GpuLibrary& library() {
  static const GpuLibrary gpus = GpuLibrary::load_default();
  return gpus;
}

// A complete, valid GPU file. The line numbers in the comments are those the error tests expect.
const std::vector<std::string> kValidLines = {
    "id: Test-GPU",                      // 1
    "name: Test GPU 80GB",               // 2
    "aliases: [TG, test-gpu-80gb]",      // 3
    "vendor: nvidia",                    // 4
    "architecture: ampere",              // 5
    "memory_gib: 80",                    // 6
    "memory_bandwidth_tb_per_s: 2.0",    // 7
    "peak_dense_tflops:",                // 8
    "  fp32: 19.5",                      // 9
    "  bf16: 312",                       // 10
    "  fp16: 312",                       // 11
    "sm_count: 108",                     // 12
    "l2_cache_mib: 40",                  // 13
    "intra_node_link:",                  // 14
    "  type: nvlink",                    // 15
    "  bandwidth_gb_per_s: 300",         // 16
    "  pcie_generation: 4",              // 17
    "  pcie_lanes: 16",                  // 18
    "default_interconnect: nvswitch",    // 19
    "max_gpus_per_node: 8",              // 20
    "price_per_hour_usd: 1.5",           // 21
    "efficiency:",                       // 22
    "  hbm_bandwidth: 0.85",             // 23
    "  gemm_compute: 0.8",               // 24
    "  attention_prefill_compute: 0.6",  // 25
    "  attention_decode_bandwidth: 0.7", // 26
    "  kernel_latency_us: 4.0",          // 27
    "  gemm_tile_m: 128",                // 28
    "  gemm_tile_n: 128",                // 29
    "  cpu_overhead_per_step_us: 0",     // 30
    "  cpu_overhead_per_seq_us: 0",      // 31
    "fidelity:",                         // 32
    "  basis: derived",                  // 33
    "  step_error_pct: 20",              // 34
    "  evidence: a test file",           // 35
};

const std::string kFile = "test-gpu.yaml";

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

// The valid file with line `number` (1-based) replaced.
std::string with_line(int number, const std::string& replacement) {
  std::vector<std::string> lines = kValidLines;
  lines[static_cast<std::size_t>(number - 1)] = replacement;
  return join_lines(lines);
}

// The valid file with `text` inserted so that it becomes line `number`.
std::string with_inserted(int number, const std::string& text) {
  std::vector<std::string> lines = kValidLines;
  lines.insert(lines.begin() + (number - 1), text);
  return join_lines(lines);
}

// The valid file without lines first..last (1-based, inclusive).
std::string without_lines(int first, int last) {
  std::vector<std::string> lines = kValidLines;
  lines.erase(lines.begin() + (first - 1), lines.begin() + last);
  return join_lines(lines);
}

// what() of the InputError `action` throws, or a marker when it throws none.
std::string input_error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& error) {
    return error.what();
  }
  return "(no InputError thrown)";
}

std::string parse_error(const std::string& text) {
  return input_error_of([&] { parse_gpu_yaml(text, kFile); });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The library as shipped.
// ---------------------------------------------------------------------------------------------

TEST_CASE("gpu library: all 16 GPU files load and validate") {
  namespace fs = std::filesystem;
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(gpu_library_dir()))
    if (entry.path().extension() == ".yaml") ++files;
  CHECK(files == 16);
  REQUIRE(library().gpus().size() == 16);
  for (const auto& gpu : library().gpus()) {
    INFO(gpu.id);
    CHECK_NOTHROW(gpu.validate());
    CHECK(gpu.memory_bytes > 0);
    CHECK(gpu.memory_bandwidth_bytes_per_s > 0);
    CHECK((gpu.supports(ComputeType::bf16) || gpu.supports(ComputeType::fp16)));
    CHECK(gpu.sm_count > 0);
    CHECK_FALSE(gpu.source_file.empty());
    // The data files live in the absolute library folder.
    CHECK(fs::path(gpu.source_file).is_absolute());
  }
}

TEST_CASE("gpu library: each file loads on its own to the same GPU the library holds") {
  const auto files = yaml_files_in(gpu_library_dir());
  REQUIRE(files.size() == 16);
  for (const auto& file : files) {
    INFO(file);
    const GpuSpec gpu = load_gpu_file(file);
    CHECK(library().find(gpu.id).source_file == file);
  }
}

TEST_CASE("gpu library: GPUs are found by id, name and alias, case-insensitively") {
  CHECK(library().find("H100-SXM").id == "H100-SXM");
  CHECK(library().find("NVIDIA H100 SXM5 80GB").id == "H100-SXM");  // name
  CHECK(library().find("H100-SXM5").id == "H100-SXM");              // alias
  CHECK(library().find("h100-sxm").id == "H100-SXM");
  CHECK(library().find("h100 nvl").id == "H100-NVL");
  CHECK(library().find("a100-80gb-sxm").id == "A100-80GB-SXM");
  CHECK(library().find("nvidia a100-sxm4-80gb").id == "A100-80GB-SXM");  // torch device name
  CHECK(library().find("h200").id == "H200");  // one H200 in the library: not ambiguous
  CHECK(library().find("a100-80gb-pcie").id == "A100-80GB-PCIe");
  CHECK(library().find("mi300x").id == "MI300X");
  CHECK(library().find("4090").id == "RTX-4090");
  CHECK(library().try_find("no-such-gpu") == nullptr);
}

TEST_CASE("gpu library: an unknown GPU is an input error with a did-you-mean") {
  const std::string what = input_error_of([] { library().find("H100-SMX"); });
  CHECK_THAT(what, Contains("unknown GPU 'H100-SMX'"));
  CHECK_THAT(what, Contains("did you mean"));
  CHECK_THAT(what, Contains("'H100-SXM'"));
  CHECK_THAT(what, Contains("llmperforacle list gpus"));
  CHECK_THROWS_AS(library().find("H100-SMX"), InputError);
}

TEST_CASE("gpu library: a name several variants share is an error listing them with memory and bandwidth") {
  // Memory and bandwidth of each variant from its file: H100 SXM5 80GB 3.35 TB/s, PCIe 80GB
  // 2.0 TB/s, NVL 94GB 3.9 TB/s (NVIDIA H100 datasheet); files load in name order.
  CHECK(library().try_find("H100") == nullptr);
  CHECK(input_error_of([] { library().find("H100"); }) ==
        "gpu: GPU 'H100' is ambiguous: H100-NVL (NVIDIA H100 NVL 94GB, 3.9 TB/s), H100-PCIe (NVIDIA H100 PCIe 80GB, "
        "2 TB/s), H100-SXM (NVIDIA H100 SXM5 80GB, 3.35 TB/s); write one of them (see `llmperforacle list gpus`)");
  // Case-insensitive, like every name; A100 has four variants, A100-80GB two.
  CHECK_THAT(input_error_of([] { library().find("h100"); }), Contains("GPU 'h100' is ambiguous"));
  CHECK(input_error_of([] { library().find("A100"); }) ==
        "gpu: GPU 'A100' is ambiguous: A100-40GB-PCIe (NVIDIA A100 40GB PCIe, 1.555 TB/s), A100-40GB-SXM (NVIDIA A100 "
        "40GB SXM4, 1.555 TB/s), A100-80GB-PCIe (NVIDIA A100 80GB PCIe, 1.935 TB/s), A100-80GB-SXM (NVIDIA A100 80GB "
        "SXM4, 2.039 TB/s); write one of them (see `llmperforacle list gpus`)");
  const std::string a100_80 = input_error_of([] { library().find("A100-80GB"); });
  CHECK_THAT(a100_80, Contains("A100-80GB-PCIe (") && Contains("A100-80GB-SXM (") && !Contains("40GB"));
  CHECK_THAT(input_error_of([] { resolve_gpu("H100", library()); }), Contains("write one of them"));
}

TEST_CASE("gpu library: a family name is refused as an ordinary name of another GPU, and the reverse") {
  NameIndex index;
  index.add({"H100-SXM"}, 0, "sxm.yaml");
  index.add_family_name("H100", 0, "sxm.yaml");
  index.add_family_name("H100", 1, "pcie.yaml");
  CHECK(index.family_members("h100") == std::vector<std::size_t>{0, 1});
  CHECK_FALSE(index.find("H100").has_value());
  CHECK_THROWS_WITH(index.add({"H100"}, 2, "other.yaml"), Contains("name 'H100' is already a family name"));
  CHECK_THROWS_WITH(index.add_family_name("h100-sxm", 1, "pcie.yaml"),
                    Contains("family name 'h100-sxm' is already an ordinary name of sxm.yaml"));
}

TEST_CASE("gpu library: resolve_gpu takes a library name or a path to a GPU file") {
  CHECK(resolve_gpu("h100-sxm", library()).id == "H100-SXM");
  const std::string path = gpu_library_dir() + "/l4.yaml";
  CHECK(resolve_gpu(path, library()).id == "L4");
  CHECK_THROWS_AS(resolve_gpu("H100-SMX", library()), InputError);
}

TEST_CASE("gpu library: datasheet numbers of H100-SXM and A100-80GB-SXM are the published ones") {
  // NVIDIA H100 datasheet (SXM): 1,979 TFLOPS bf16 with sparsity -> 989.4 dense; 3.35 TB/s HBM3.
  const GpuSpec& h100 = library().find("H100-SXM");
  CHECK(h100.peak(ComputeType::bf16) == Approx(989.4e12));
  CHECK(h100.peak(ComputeType::fp16) == Approx(989.4e12));
  CHECK(h100.memory_bandwidth_bytes_per_s == Approx(3.35e12));
  CHECK(h100.sm_count == 132);  // Hopper whitepaper, H100 SXM5
  CHECK(h100.link.type == LinkType::nvlink);
  CHECK(h100.link.bandwidth_bytes_per_s == Approx(450e9));  // 900 GB/s bidirectional / 2
  // NVIDIA A100 datasheet (80GB SXM): 312 TFLOPS bf16 dense; 2,039 GB/s HBM2e; no FP8.
  const GpuSpec& a100 = library().find("A100-80GB-SXM");
  CHECK(a100.peak(ComputeType::bf16) == Approx(312e12));
  CHECK(a100.memory_bandwidth_bytes_per_s == Approx(2.039e12));
  CHECK(a100.sm_count == 108);
  CHECK_FALSE(a100.supports(ComputeType::fp8));
  CHECK(a100.link.bandwidth_bytes_per_s == Approx(300e9));  // 600 GB/s bidirectional / 2
  // Capacity is the CUDA total: 79.15 GiB, a little below the 80 GiB (81,920 MiB) nvidia-smi shows.
  CHECK(a100.memory_bytes == Approx(79.15 * 1024.0 * 1024.0 * 1024.0));
  CHECK(a100.memory_bytes < 80.0 * 1024.0 * 1024.0 * 1024.0);
}

TEST_CASE("gpu library: every GPU's default interconnect names an existing preset") {
  const InterconnectLibrary presets = InterconnectLibrary::load_default();
  for (const auto& gpu : library().gpus()) {
    INFO(gpu.id << " -> " << gpu.default_interconnect);
    CHECK_NOTHROW(presets.find(gpu.default_interconnect));
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing inline GPU YAML: every error names file:line and the key path.
// ---------------------------------------------------------------------------------------------

TEST_CASE("gpu library: a complete inline GPU file parses to the stated values") {
  const GpuSpec gpu = parse_gpu_yaml(join_lines(kValidLines), kFile);
  CHECK(gpu.id == "Test-GPU");
  CHECK(gpu.aliases == std::vector<std::string>{"TG", "test-gpu-80gb"});
  CHECK(gpu.source_file == kFile);
  CHECK(gpu.memory_bytes == 80.0 * 1024 * 1024 * 1024);       // 80 GiB
  CHECK(gpu.memory_bandwidth_bytes_per_s == Approx(2.0e12));  // TB = 1e12
  CHECK(gpu.peak(ComputeType::bf16) == Approx(312e12));
  CHECK(gpu.peak(ComputeType::fp32) == Approx(19.5e12));
  CHECK(gpu.peak(ComputeType::fp8) == 0.0);  // not listed: unsupported
  CHECK(gpu.l2_bytes == 40.0 * 1024 * 1024);
  CHECK(gpu.link.bandwidth_bytes_per_s == Approx(300e9));
  CHECK(gpu.link.pcie_generation == 4);
  CHECK(gpu.efficiency.kernel_latency_s == Approx(4e-6));
  CHECK(gpu.efficiency.gemm_compute == Approx(0.8));
  CHECK(gpu.max_gpus_per_node == 8);
}

TEST_CASE("gpu library: an unknown key in a GPU file suggests the intended one, at its line") {
  // Line 24 becomes a misspelt efficiency key, two spaces in: column 3.
  const std::string nested = parse_error(with_inserted(24, "  hbm_bandwith: 0.9"));
  CHECK_THAT(nested, Contains("test-gpu.yaml:24:3: efficiency.hbm_bandwith: unknown key 'hbm_bandwith'"));
  CHECK_THAT(nested, Contains("did you mean 'hbm_bandwidth'?"));
  // A misspelt top-level key appended as line 32.
  const std::string top = parse_error(with_inserted(32, "sm_cout: 108"));
  CHECK_THAT(top, Contains("test-gpu.yaml:32:1: sm_cout: unknown key 'sm_cout'"));
  CHECK_THAT(top, Contains("did you mean 'sm_count'?"));
}

TEST_CASE("gpu library: an efficiency fraction above 1 is rejected at its line with its key path") {
  // "  gemm_compute: " is 16 characters, so the value starts in column 17.
  const std::string what = parse_error(with_line(24, "  gemm_compute: 1.5"));
  CHECK_THAT(what, Contains("test-gpu.yaml:24:17: efficiency.gemm_compute:"));
  CHECK_THAT(what, Contains("1.5 is out of range"));
  CHECK_THAT(what, Contains("at most 1"));
}

TEST_CASE("gpu library: a negative bandwidth is rejected at its line with its key path") {
  // "memory_bandwidth_tb_per_s: " is 27 characters: the value is in column 28.
  const std::string hbm = parse_error(with_line(7, "memory_bandwidth_tb_per_s: -2.0"));
  CHECK_THAT(hbm, Contains("test-gpu.yaml:7:28: memory_bandwidth_tb_per_s:"));
  CHECK_THAT(hbm, Contains("-2.0 is out of range (must be at least 1e-06 and at most 1000000)"));
  // "  bandwidth_gb_per_s: " is 22 characters: column 23.
  const std::string link = parse_error(with_line(16, "  bandwidth_gb_per_s: -300"));
  CHECK_THAT(link, Contains("test-gpu.yaml:16:23: intra_node_link.bandwidth_gb_per_s:"));
  CHECK_THAT(link, Contains("out of range"));
}

TEST_CASE("gpu library: a GPU without a bf16 or fp16 peak is rejected naming the file and key") {
  // Lines 10-11 (bf16, fp16) removed: only fp32 is left under peak_dense_tflops.
  const std::string what = parse_error(without_lines(10, 11));
  CHECK_THAT(what, Contains("test-gpu.yaml"));
  CHECK_THAT(what, Contains("peak_dense_tflops: "));
  CHECK_THAT(what, Contains("bf16 or fp16"));
}

// GpuSpec::validate() finds this after parsing; the loader maps its key path back to the line
// of the peak_dense_tflops key (8).
TEST_CASE("gpu library: a GPU without a bf16 or fp16 peak is reported at the line of peak_dense_tflops") {
  const std::string what = parse_error(without_lines(10, 11));
  CHECK_THAT(what, Contains("test-gpu.yaml:8"));
}

TEST_CASE("gpu library: a value of the wrong type is rejected at its line with its key path") {
  // "sm_count: " is 10 characters: column 11.
  const std::string count = parse_error(with_line(12, "sm_count: many"));
  CHECK_THAT(count, Contains("test-gpu.yaml:12:11: sm_count: expected a number, got 'many'"));
  // A scalar where a list is expected: reported at the key.
  const std::string aliases = parse_error(with_line(3, "aliases: TG"));
  CHECK_THAT(aliases, Contains("test-gpu.yaml:3:1: aliases: expected a list of strings"));
  // A scalar where a mapping is expected (lines 15-18 removed, line 14 replaced).
  std::vector<std::string> lines = kValidLines;
  lines.erase(lines.begin() + 14, lines.begin() + 18);
  lines[13] = "intra_node_link: nvlink";
  const std::string link = parse_error(join_lines(lines));
  CHECK_THAT(link, Contains("test-gpu.yaml:14:"));
  CHECK_THAT(link, Contains("intra_node_link: expected a mapping"));
  // A choice outside its list.
  const std::string vendor = parse_error(with_line(4, "vendor: nvdia"));
  CHECK_THAT(vendor, Contains("test-gpu.yaml:4:"));
  CHECK_THAT(vendor, Contains("vendor: 'nvdia' is not valid"));
  CHECK_THAT(vendor, Contains("did you mean 'nvidia'?"));
}

TEST_CASE("gpu library: a missing required key names the file and the key") {
  const std::string what = parse_error(without_lines(12, 12));  // no sm_count
  CHECK_THAT(what, Contains("test-gpu.yaml:"));
  CHECK_THAT(what, Contains("sm_count: missing required key 'sm_count'"));
  const std::string nested = parse_error(without_lines(27, 27));  // no efficiency.kernel_latency_us
  CHECK_THAT(nested, Contains("efficiency.kernel_latency_us: missing required key"));
}

// ---------------------------------------------------------------------------------------------
// Overrides (require_all = false), as an experiment file applies them to a preset.
// ---------------------------------------------------------------------------------------------

TEST_CASE("gpu library: an override of memory_gib alone keeps every other field of the preset") {
  const GpuSpec& preset = library().find("A100-80GB-SXM");
  GpuSpec gpu = preset;
  StrictMap fields(load_yaml_string("memory_gib: 40\n", "override.yaml"), "override.yaml", "");
  read_gpu_fields(fields, gpu, false);

  CHECK(gpu.memory_bytes == 40.0 * 1024 * 1024 * 1024);  // 40 GiB
  CHECK(gpu.id == preset.id);
  CHECK(gpu.name == preset.name);
  CHECK(gpu.aliases == preset.aliases);
  CHECK(gpu.memory_bandwidth_bytes_per_s == preset.memory_bandwidth_bytes_per_s);
  for (int i = 0; i < kNumComputeTypes; ++i) CHECK(gpu.peak_flops[i] == preset.peak_flops[i]);
  CHECK(gpu.sm_count == preset.sm_count);
  CHECK(gpu.l2_bytes == preset.l2_bytes);
  CHECK(gpu.link.type == preset.link.type);
  CHECK(gpu.link.bandwidth_bytes_per_s == preset.link.bandwidth_bytes_per_s);
  CHECK(gpu.link.pcie_generation == preset.link.pcie_generation);
  CHECK(gpu.link.pcie_lanes == preset.link.pcie_lanes);
  CHECK(gpu.default_interconnect == preset.default_interconnect);
  CHECK(gpu.max_gpus_per_node == preset.max_gpus_per_node);
  CHECK(gpu.price_per_hour_usd == preset.price_per_hour_usd);
  CHECK(gpu.efficiency.hbm_bandwidth == preset.efficiency.hbm_bandwidth);
  CHECK(gpu.efficiency.gemm_compute == preset.efficiency.gemm_compute);
  CHECK(gpu.efficiency.attention_prefill_compute == preset.efficiency.attention_prefill_compute);
  CHECK(gpu.efficiency.attention_decode_bandwidth == preset.efficiency.attention_decode_bandwidth);
  CHECK(gpu.efficiency.kernel_latency_s == preset.efficiency.kernel_latency_s);
  CHECK(gpu.efficiency.gemm_tile_m == preset.efficiency.gemm_tile_m);
  CHECK(gpu.efficiency.gemm_tile_n == preset.efficiency.gemm_tile_n);
  CHECK_NOTHROW(gpu.validate());
}

TEST_CASE("gpu library: a partial override of a nested map changes only the keys given") {
  const GpuSpec& preset = library().find("H100-SXM");
  GpuSpec gpu = preset;
  StrictMap fields(load_yaml_string("efficiency:\n  hbm_bandwidth: 0.5\npeak_dense_tflops:\n  fp8: 1000\n",
                                    "override.yaml"),
                   "override.yaml", "");
  read_gpu_fields(fields, gpu, false);
  CHECK(gpu.efficiency.hbm_bandwidth == Approx(0.5));
  CHECK(gpu.efficiency.gemm_compute == preset.efficiency.gemm_compute);
  CHECK(gpu.efficiency.kernel_latency_s == preset.efficiency.kernel_latency_s);
  CHECK(gpu.peak(ComputeType::fp8) == Approx(1000e12));
  CHECK(gpu.peak(ComputeType::bf16) == preset.peak(ComputeType::bf16));  // untouched
  CHECK(gpu.memory_bytes == preset.memory_bytes);
}

TEST_CASE("gpu library: an override with a misspelt key is rejected with a suggestion") {
  GpuSpec gpu = library().find("A100-80GB-SXM");
  StrictMap fields(load_yaml_string("memory_gb: 40\n", "override.yaml"), "override.yaml", "");
  const std::string what = input_error_of([&] { read_gpu_fields(fields, gpu, false); });
  CHECK_THAT(what, Contains("override.yaml:1:1: memory_gb: unknown key 'memory_gb'"));
  CHECK_THAT(what, Contains("did you mean 'memory_gib'?"));
}
