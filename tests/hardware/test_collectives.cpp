// The alpha-beta collective model (hardware/interconnect.hpp) against hand computations:
//   ring all-reduce of S bytes over p ranks: 2 (p - 1) alpha + 2 (p - 1) / p * S / (eff * bw)
//   point-to-point transfer:                  alpha + S / (eff * bw)
// Preset constants come from hardware/interconnects/*.yaml and link rates from the GPU files;
// each is restated in a comment where it is used, and every result is worked out by hand.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "hardware/gpu_library.hpp"
#include "hardware/interconnect.hpp"
#include "simulator/util/error.hpp"

using namespace llmpo;
using Catch::Matchers::Contains;

namespace {

const InterconnectLibrary& presets() {
  static const InterconnectLibrary library = InterconnectLibrary::load_default();
  return library;
}

const GpuLibrary& gpus() {
  static const GpuLibrary library = GpuLibrary::load_default();
  return library;
}

constexpr double kMiB64 = 67108864;  // 64 MiB message
constexpr double kMiB1 = 1048576;    // 1 MiB message

}  // namespace

TEST_CASE("collectives: the interconnect library loads all five presets") {
  std::vector<std::string> ids;
  for (const auto& preset : presets().presets()) ids.push_back(preset.id);
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::string>{"infiniband-400g", "nvswitch", "pairwise-nvlink", "pcie", "xgmi"});

  const InterconnectSpec& nvswitch = presets().find("nvswitch");
  CHECK(nvswitch.topology == Topology::all_to_all);
  CHECK(nvswitch.bandwidth_source == BandwidthSource::gpu_nvlink);
  CHECK(nvswitch.latency_s == Approx(4e-6));  // latency_us: 4.0
  CHECK(nvswitch.bus_efficiency == Approx(0.65));

  const InterconnectSpec& pairwise = presets().find("pairwise-nvlink");
  CHECK(pairwise.topology == Topology::pairwise);
  CHECK(pairwise.latency_s == Approx(5e-6));
  CHECK(pairwise.bus_efficiency == Approx(0.6));
  CHECK(pairwise.pcie_bus_efficiency == Approx(0.75));

  const InterconnectSpec& pcie = presets().find("pcie");
  CHECK(pcie.topology == Topology::pcie_host);
  CHECK(pcie.bandwidth_source == BandwidthSource::gpu_pcie);
  CHECK(pcie.latency_s == Approx(8e-6));
  CHECK(pcie.pcie_bus_efficiency == Approx(0.7));

  const InterconnectSpec& ib = presets().find("infiniband-400g");
  CHECK(ib.topology == Topology::inter_node);
  CHECK(ib.bandwidth_source == BandwidthSource::fixed);
  CHECK(ib.bandwidth_bytes_per_s == Approx(50e9));  // 400 Gb/s = 50 GB/s
  CHECK(ib.latency_s == Approx(10e-6));
  CHECK(ib.bus_efficiency == Approx(0.8));
}

TEST_CASE("collectives: preset lookup is case-insensitive") {
  CHECK(presets().find("NVSwitch").id == "nvswitch");
  CHECK(presets().find("PCIE").id == "pcie");
}

TEST_CASE("collectives: an unknown preset is an input error that suggests the closest name") {
  try {
    presets().find("nvswich");
    FAIL("no InputError thrown");
  } catch (const InputError& error) {
    const std::string what = error.what();
    CHECK_THAT(what, Contains("unknown interconnect 'nvswich'"));
    CHECK_THAT(what, Contains("did you mean 'nvswitch'"));
    CHECK(error.key_path() == "interconnect");
  }
}

TEST_CASE("collectives: a single rank or an empty message costs nothing") {
  const CollectiveLink link = collective_link(presets().find("nvswitch"), gpus().find("H100-SXM"), 1);
  CHECK(all_reduce_time_s(kMiB64, 1, link) == 0.0);
  CHECK(all_reduce_time_s(0, 8, link) == 0.0);
  CHECK(send_recv_time_s(0, link) == 0.0);
}

TEST_CASE("collectives: NVSwitch all-reduce on H100-SXM follows the alpha-beta formula by hand") {
  // H100 SXM NVLink 4: 450 GB/s per direction; nvswitch: alpha 4 us, efficiency 0.65
  // -> effective bandwidth 0.65 x 450e9 = 292.5e9 B/s.
  const CollectiveLink link = collective_link(presets().find("nvswitch"), gpus().find("H100-SXM"), 8);
  CHECK(link.bandwidth_bytes_per_s == Approx(292.5e9));
  CHECK(link.latency_s == Approx(4e-6));
  // 8 ranks, 64 MiB: 2 x 7 x 4e-6 = 56e-6; 2 x 7/8 x 67,108,864 / 292.5e9 = 401.506e-6
  // -> 457.506e-6 s
  CHECK(all_reduce_time_s(kMiB64, 8, link) == Approx(2 * 7 * 4e-6 + 2.0 * 7 / 8 * kMiB64 / (0.65 * 450e9)));
  CHECK(all_reduce_time_s(kMiB64, 8, link) == Approx(457.506e-6).epsilon(1e-6));
  // 2 ranks, 1 MiB: 2 x 1 x 4e-6 = 8e-6; 1 x 1,048,576 / 292.5e9 = 3.58488e-6 -> 11.58488e-6 s
  CHECK(all_reduce_time_s(kMiB1, 2, link) == Approx(11.58488e-6).epsilon(1e-6));
}

TEST_CASE("collectives: NVSwitch all-reduce on A100-80GB-SXM uses its 300 GB/s NVLink") {
  // A100 NVLink 3: 300 GB/s per direction -> 0.65 x 300e9 = 195e9 B/s.
  const CollectiveLink link = collective_link(presets().find("nvswitch"), gpus().find("A100-80GB-SXM"), 8);
  CHECK(link.bandwidth_bytes_per_s == Approx(195e9));
  // 8 ranks, 64 MiB: 56e-6 + 1.75 x 67,108,864 / 195e9 = 56e-6 + 602.259e-6 = 658.259e-6 s
  CHECK(all_reduce_time_s(kMiB64, 8, link) == Approx(658.259e-6).epsilon(1e-6));
}

TEST_CASE("collectives: NVSwitch send/recv on H100-SXM is one alpha plus the message over the link") {
  const CollectiveLink link = collective_link(presets().find("nvswitch"), gpus().find("H100-SXM"), 2);
  // 4e-6 + 1,048,576 / 292.5e9 = 4e-6 + 3.58488e-6 = 7.58488e-6 s
  CHECK(send_recv_time_s(kMiB1, link) == Approx(7.58488e-6).epsilon(1e-6));
}

TEST_CASE("collectives: pairwise NVLink uses the bridge for 2 ranks and PCIe for 4") {
  const InterconnectSpec& pairwise = presets().find("pairwise-nvlink");
  const GpuSpec& gpu = gpus().find("A100-80GB-PCIe");  // bridge 300 GB/s, PCIe gen4 x16

  // 2 ranks: bridge 300e9 x 0.6 = 180e9 B/s, alpha 5 us.
  const CollectiveLink two = collective_link(pairwise, gpu, 2);
  CHECK(two.bandwidth_bytes_per_s == Approx(180e9));
  CHECK(two.latency_s == Approx(5e-6));
  // 64 MiB: 2 x 1 x 5e-6 = 10e-6; 1 x 67,108,864 / 180e9 = 372.827e-6 -> 382.827e-6 s
  CHECK(all_reduce_time_s(kMiB64, 2, two) == Approx(382.827e-6).epsilon(1e-6));

  // 4 ranks: PCIe gen4 x16 = 0.985e9 x 2 per lane x 16 lanes = 31.52e9, x 0.75 = 23.64e9 B/s.
  const CollectiveLink four = collective_link(pairwise, gpu, 4);
  CHECK(four.bandwidth_bytes_per_s == Approx(23.64e9));
  // 64 MiB: 2 x 3 x 5e-6 = 30e-6; 2 x 3/4 x 67,108,864 / 23.64e9 = 4258.177e-6 -> 4288.177e-6 s
  CHECK(all_reduce_time_s(kMiB64, 4, four) == Approx(4288.177e-6).epsilon(1e-6));
  CHECK(all_reduce_time_s(kMiB64, 4, four) > 10 * all_reduce_time_s(kMiB64, 2, two));
}

TEST_CASE("collectives: the PCIe preset runs at the GPU's PCIe generation through the host") {
  const InterconnectSpec& pcie = presets().find("pcie");
  // L4: PCIe gen4 x16 = 31.52e9, x 0.7 = 22.064e9 B/s, alpha 8 us.
  const CollectiveLink l4 = collective_link(pcie, gpus().find("L4"), 2);
  CHECK(l4.bandwidth_bytes_per_s == Approx(22.064e9));
  CHECK(l4.latency_s == Approx(8e-6));
  // 2 ranks, 64 MiB: 16e-6 + 67,108,864 / 22.064e9 = 16e-6 + 3041.555e-6 = 3057.555e-6 s
  CHECK(all_reduce_time_s(kMiB64, 2, l4) == Approx(3057.555e-6).epsilon(1e-6));

  // H100 PCIe: gen5 x16 = 0.985e9 x 4 x 16 = 63.04e9, x 0.7 = 44.128e9 B/s.
  const CollectiveLink h100 = collective_link(pcie, gpus().find("H100-PCIe"), 4);
  CHECK(h100.bandwidth_bytes_per_s == Approx(44.128e9));
  // 4 ranks, 64 MiB: 2 x 3 x 8e-6 = 48e-6; 1.5 x 67,108,864 / 44.128e9 = 2281.166e-6 -> 2329.166e-6 s
  CHECK(all_reduce_time_s(kMiB64, 4, h100) == Approx(2329.166e-6).epsilon(1e-6));
}

TEST_CASE("collectives: InfiniBand 400G runs at a fixed 50 GB/s whatever the GPU") {
  const InterconnectSpec& ib = presets().find("infiniband-400g");
  // 50e9 x 0.8 = 40e9 B/s, alpha 10 us, for any GPU.
  for (const char* name : {"H100-SXM", "A100-80GB-SXM", "L4"}) {
    INFO(name);
    const CollectiveLink link = collective_link(ib, gpus().find(name), 16);
    CHECK(link.bandwidth_bytes_per_s == Approx(40e9));
    CHECK(link.latency_s == Approx(10e-6));
    // 16 ranks, 64 MiB: 2 x 15 x 10e-6 = 300e-6; 2 x 15/16 x 67,108,864 / 40e9 = 3145.728e-6
    // -> 3445.728e-6 s
    CHECK(all_reduce_time_s(kMiB64, 16, link) == Approx(3445.728e-6).epsilon(1e-9));
    // send/recv 1 MiB: 10e-6 + 1,048,576 / 40e9 = 10e-6 + 26.2144e-6 = 36.2144e-6 s
    CHECK(send_recv_time_s(kMiB1, link) == Approx(36.2144e-6).epsilon(1e-9));
  }
}

TEST_CASE("collectives: xGMI on MI300X uses the Infinity Fabric aggregate from the GPU file") {
  // MI300X intra_node_link 448 GB/s; xgmi: efficiency 0.55, alpha 6 us -> 246.4e9 B/s
  const CollectiveLink link = collective_link(presets().find("xgmi"), gpus().find("MI300X"), 8);
  CHECK(link.bandwidth_bytes_per_s == Approx(246.4e9));
  // 8 ranks, 64 MiB: 2 x 7 x 6e-6 = 84e-6; 1.75 x 67,108,864 / 246.4e9 = 476.6255e-6 -> 560.6255e-6 s
  CHECK(all_reduce_time_s(kMiB64, 8, link) == Approx(560.6255e-6).epsilon(1e-6));
}

TEST_CASE("collectives: all-reduce time grows with ranks at a fixed message") {
  // The bandwidth term 2 (p - 1) / p tends to 2 and the latency term grows linearly.
  const CollectiveLink link{100e9, 5e-6};
  // p = 2: 2 x 5e-6 + 1 x 1e9 / 100e9 = 10e-6 + 10e-3 = 0.01001 s
  CHECK(all_reduce_time_s(1e9, 2, link) == Approx(0.01001));
  // p = 4: 6 x 5e-6 + 1.5 x 1e9 / 100e9 = 30e-6 + 15e-3 = 0.01503 s
  CHECK(all_reduce_time_s(1e9, 4, link) == Approx(0.01503));
  // p = 8: 14 x 5e-6 + 1.75 x 1e9 / 100e9 = 70e-6 + 17.5e-3 = 0.01757 s
  CHECK(all_reduce_time_s(1e9, 8, link) == Approx(0.01757));
  // send/recv: 5e-6 + 1e9 / 100e9 = 0.010005 s
  CHECK(send_recv_time_s(1e9, link) == Approx(0.010005));
}
