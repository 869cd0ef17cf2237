// The collective model (hardware/interconnect.hpp) against hand computations. NCCL runs each
// collective with the faster of two protocols, each an alpha-beta model whose fixed cost grows
// with the rank count p:
//   protocol time = latency + latency_per_rank (p - 1) + traffic / (efficiency x link rate)
//   ring all-reduce traffic = 2 (p - 1) / p x S;  send/recv traffic = S with p - 1 = 1
//   time = min(bandwidth protocol, low-latency protocol)
// Preset constants come from hardware/interconnects/*.yaml (nvswitch and pairwise-nvlink are
// calibrated, see experiments/fidelity) and link rates from the GPU files; each is restated in a
// comment where it is used, and every result is worked out by hand.
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

TEST_CASE("collectives: the interconnect library loads all six presets") {
  std::vector<std::string> ids;
  for (const auto& preset : presets().presets()) ids.push_back(preset.id);
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::string>{"infiniband-400g", "nvswitch", "nvswitch-hopper", "pairwise-nvlink", "pcie", "xgmi"});

  const InterconnectSpec& nvswitch = presets().find("nvswitch");
  CHECK(nvswitch.topology == Topology::all_to_all);
  CHECK(nvswitch.bandwidth_source == BandwidthSource::gpu_nvlink);
  CHECK(nvswitch.latency_s == Approx(32.14e-6));          // latency_us: 32.14
  CHECK(nvswitch.latency_per_rank_s == Approx(0.0));       // latency_per_rank_us: 0.00
  CHECK(nvswitch.bus_efficiency == Approx(0.6265));
  CHECK(nvswitch.small_latency_s == Approx(8.94e-6));
  CHECK(nvswitch.small_latency_per_rank_s == Approx(1.95e-6));
  CHECK(nvswitch.small_bus_efficiency == Approx(0.1649));

  const InterconnectSpec& pairwise = presets().find("pairwise-nvlink");
  CHECK(pairwise.topology == Topology::pairwise);
  CHECK(pairwise.latency_s == Approx(35.79e-6));
  CHECK(pairwise.latency_per_rank_s == Approx(7.47e-6));
  CHECK(pairwise.bus_efficiency == Approx(0.664));
  CHECK(pairwise.pcie_bus_efficiency == Approx(0.7491));

  const InterconnectSpec& pcie = presets().find("pcie");
  CHECK(pcie.topology == Topology::pcie_host);
  CHECK(pcie.bandwidth_source == BandwidthSource::gpu_pcie);
  CHECK(pcie.latency_s == Approx(32.14e-6));
  CHECK(pcie.latency_per_rank_s == Approx(8e-6));
  CHECK(pcie.pcie_bus_efficiency == Approx(0.7));

  const InterconnectSpec& ib = presets().find("infiniband-400g");
  CHECK(ib.topology == Topology::inter_node);
  CHECK(ib.bandwidth_source == BandwidthSource::fixed);
  CHECK(ib.bandwidth_bytes_per_s == Approx(50e9));  // 400 Gb/s = 50 GB/s
  CHECK(ib.latency_per_rank_s == Approx(12e-6));
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

TEST_CASE("collectives: NVSwitch all-reduce on H100-SXM takes the faster protocol, by hand") {
  // H100 SXM NVLink 4: 450 GB/s per direction. Bandwidth protocol 0.6265 x 450e9 = 281.925e9 B/s;
  // low-latency protocol 0.1649 x 450e9 = 74.205e9 B/s.
  const CollectiveLink link = collective_link(presets().find("nvswitch"), gpus().find("H100-SXM"), 8);
  CHECK(link.bandwidth_bytes_per_s == Approx(281.925e9));
  CHECK(link.small_bandwidth_bytes_per_s == Approx(74.205e9));
  CHECK(link.latency_s == Approx(32.14e-6));
  // 8 ranks, 64 MiB, ring traffic 2 x 7/8 x 67,108,864 = 117,440,512 B:
  //   bandwidth:   32.14e-6 + 0 x 7 + 117,440,512 / 281.925e9 = 32.14e-6 + 416.567e-6 = 448.707e-6 s <- faster
  //   low-latency: 8.94e-6 + 7 x 1.95e-6 + 117,440,512 / 74.205e9 = 22.59e-6 + 1582.65e-6
  CHECK(all_reduce_time_s(kMiB64, 8, link) == Approx(32.14e-6 + 117440512.0 / (0.6265 * 450e9)));
  CHECK(all_reduce_time_s(kMiB64, 8, link) == Approx(448.707e-6).epsilon(1e-5));
  // 2 ranks, 1 MiB, traffic 1,048,576 B:
  //   bandwidth:   32.14e-6 + 1,048,576 / 281.925e9 = 32.14e-6 + 3.719344e-6 = 35.859344e-6 s
  //   low-latency: 8.94e-6 + 1.95e-6 + 1,048,576 / 74.205e9 = 10.89e-6 + 14.130799e-6 = 25.020799e-6 s <- faster
  CHECK(all_reduce_time_s(kMiB1, 2, link) == Approx(25.020799e-6).epsilon(1e-6));
  // 2 ranks, 16 KiB: 10.89e-6 + 16,384 / 74.205e9 = 10.89e-6 + 0.220794e-6 = 11.110794e-6 s
  CHECK(all_reduce_time_s(16384, 2, link) == Approx(11.110794e-6).epsilon(1e-6));
}

TEST_CASE("collectives: NVSwitch all-reduce on A100-80GB-SXM uses its 300 GB/s NVLink") {
  // A100 NVLink 3: 300 GB/s per direction -> 0.6265 x 300e9 = 187.95e9 B/s.
  const CollectiveLink link = collective_link(presets().find("nvswitch"), gpus().find("A100-80GB-SXM"), 8);
  CHECK(link.bandwidth_bytes_per_s == Approx(187.95e9));
  // 8 ranks, 64 MiB: 32.14e-6 + 117,440,512 / 187.95e9 = 32.14e-6 + 624.850e-6 = 656.990e-6 s
  // (low-latency: 22.59e-6 + 117,440,512 / 49.47e9 = 2396.6e-6 s)
  CHECK(all_reduce_time_s(kMiB64, 8, link) == Approx(656.990e-6).epsilon(1e-5));
}

TEST_CASE("collectives: NVSwitch send/recv on H100-SXM is one protocol's fixed cost plus the message") {
  const CollectiveLink link = collective_link(presets().find("nvswitch"), gpus().find("H100-SXM"), 2);
  // 1 MiB: bandwidth 32.14e-6 + 3.719344e-6 = 35.859344e-6; low-latency 8.94e-6 + 1.95e-6 +
  // 14.130799e-6 = 25.020799e-6 s <- faster
  CHECK(send_recv_time_s(kMiB1, link) == Approx(25.020799e-6).epsilon(1e-6));
  // 64 MiB: bandwidth 32.14e-6 + 67,108,864 / 281.925e9 = 32.14e-6 + 238.038e-6 = 270.178e-6 s
  CHECK(send_recv_time_s(kMiB64, link) == Approx(270.178e-6).epsilon(1e-5));
}

TEST_CASE("collectives: pairwise NVLink uses the bridge for 2 ranks and PCIe for 4") {
  const InterconnectSpec& pairwise = presets().find("pairwise-nvlink");
  const GpuSpec& gpu = gpus().find("A100-80GB-PCIe");  // bridge 300 GB/s, PCIe gen4 x16

  // 2 ranks: bridge 300e9 x 0.664 = 199.2e9 B/s, latency 35.79 us + 7.47 us per extra rank.
  const CollectiveLink two = collective_link(pairwise, gpu, 2);
  CHECK(two.bandwidth_bytes_per_s == Approx(199.2e9));
  CHECK(two.latency_s == Approx(35.79e-6));
  // 64 MiB: 35.79e-6 + 7.47e-6 + 67,108,864 / 199.2e9 = 43.26e-6 + 336.892e-6 = 380.152e-6 s
  CHECK(all_reduce_time_s(kMiB64, 2, two) == Approx(380.152e-6).epsilon(1e-5));

  // 4 ranks: PCIe gen4 x16 = 0.985e9 x 2 per lane x 16 lanes = 31.52e9, x 0.7491 = 23.611632e9 B/s.
  const CollectiveLink four = collective_link(pairwise, gpu, 4);
  CHECK(four.bandwidth_bytes_per_s == Approx(23.611632e9));
  // 64 MiB: 35.79e-6 + 3 x 7.47e-6 + 1.5 x 67,108,864 / 23.611632e9 = 58.2e-6 + 4263.292e-6
  //   = 4321.492e-6 s
  CHECK(all_reduce_time_s(kMiB64, 4, four) == Approx(4321.492e-6).epsilon(1e-5));
  CHECK(all_reduce_time_s(kMiB64, 4, four) > 10 * all_reduce_time_s(kMiB64, 2, two));
}

TEST_CASE("collectives: the PCIe preset runs at the GPU's PCIe generation through the host") {
  const InterconnectSpec& pcie = presets().find("pcie");
  // L4: PCIe gen4 x16 = 31.52e9, x 0.7 = 22.064e9 B/s; 32.14 us + 8 us per extra rank.
  const CollectiveLink l4 = collective_link(pcie, gpus().find("L4"), 2);
  CHECK(l4.bandwidth_bytes_per_s == Approx(22.064e9));
  CHECK(l4.latency_s == Approx(32.14e-6));
  // 2 ranks, 64 MiB: 32.14e-6 + 8e-6 + 67,108,864 / 22.064e9 = 40.14e-6 + 3041.555e-6 = 3081.695e-6 s
  CHECK(all_reduce_time_s(kMiB64, 2, l4) == Approx(3081.695e-6).epsilon(1e-5));

  // H100 PCIe: gen5 x16 = 0.985e9 x 4 x 16 = 63.04e9, x 0.7 = 44.128e9 B/s.
  const CollectiveLink h100 = collective_link(pcie, gpus().find("H100-PCIe"), 4);
  CHECK(h100.bandwidth_bytes_per_s == Approx(44.128e9));
  // 4 ranks, 64 MiB: 32.14e-6 + 3 x 8e-6 + 1.5 x 67,108,864 / 44.128e9 = 56.14e-6 + 2281.166e-6
  //   = 2337.306e-6 s
  CHECK(all_reduce_time_s(kMiB64, 4, h100) == Approx(2337.306e-6).epsilon(1e-5));
}

TEST_CASE("collectives: InfiniBand 400G runs at a fixed 50 GB/s whatever the GPU") {
  const InterconnectSpec& ib = presets().find("infiniband-400g");
  // 50e9 x 0.8 = 40e9 B/s, 32.14 us + 12 us per extra rank, for any GPU.
  for (const char* name : {"H100-SXM", "A100-80GB-SXM", "L4"}) {
    INFO(name);
    const CollectiveLink link = collective_link(ib, gpus().find(name), 16);
    CHECK(link.bandwidth_bytes_per_s == Approx(40e9));
    CHECK(link.latency_s == Approx(32.14e-6));
    // 16 ranks, 64 MiB: 32.14e-6 + 15 x 12e-6 + 2 x 15/16 x 67,108,864 / 40e9
    //   = 212.14e-6 + 3145.728e-6 = 3357.868e-6 s
    CHECK(all_reduce_time_s(kMiB64, 16, link) == Approx(3357.868e-6).epsilon(1e-6));
    // send/recv 1 MiB: bandwidth 32.14e-6 + 12e-6 + 1,048,576 / 40e9 = 44.14e-6 + 26.2144e-6
    //   = 70.3544e-6 s <- faster than low-latency 8.94e-6 + 13.95e-6 + 1,048,576 / (0.2104 x 50e9)
    //   = 22.89e-6 + 99.675e-6
    CHECK(send_recv_time_s(kMiB1, link) == Approx(70.3544e-6).epsilon(1e-6));
  }
}

TEST_CASE("collectives: xGMI on MI300X uses the Infinity Fabric aggregate from the GPU file") {
  // MI300X intra_node_link 448 GB/s; xgmi: efficiency 0.55 -> 246.4e9 B/s, 32.14 us + 4 us per rank
  const CollectiveLink link = collective_link(presets().find("xgmi"), gpus().find("MI300X"), 8);
  CHECK(link.bandwidth_bytes_per_s == Approx(246.4e9));
  // 8 ranks, 64 MiB: 32.14e-6 + 7 x 4e-6 + 117,440,512 / 246.4e9 = 60.14e-6 + 476.6255e-6 = 536.7655e-6 s
  CHECK(all_reduce_time_s(kMiB64, 8, link) == Approx(536.7655e-6).epsilon(1e-6));
}

TEST_CASE("collectives: all-reduce time grows with ranks at a fixed message") {
  // One protocol: 100e9 B/s, 5 us fixed + 2 us per extra rank. The bandwidth term
  // 2 (p - 1) / p tends to 2 and the fixed cost grows linearly.
  const CollectiveLink link{100e9, 5e-6, 2e-6};
  // p = 2: 5e-6 + 2e-6 + 1 x 1e9 / 100e9 = 7e-6 + 10e-3 = 0.010007 s
  CHECK(all_reduce_time_s(1e9, 2, link) == Approx(0.010007));
  // p = 4: 5e-6 + 6e-6 + 1.5 x 1e9 / 100e9 = 11e-6 + 15e-3 = 0.015011 s
  CHECK(all_reduce_time_s(1e9, 4, link) == Approx(0.015011));
  // p = 8: 5e-6 + 14e-6 + 1.75 x 1e9 / 100e9 = 19e-6 + 17.5e-3 = 0.017519 s
  CHECK(all_reduce_time_s(1e9, 8, link) == Approx(0.017519));
  // send/recv: 5e-6 + 2e-6 + 1e9 / 100e9 = 0.010007 s
  CHECK(send_recv_time_s(1e9, link) == Approx(0.010007));
}

TEST_CASE("collectives: the low-latency protocol wins small messages and the bandwidth protocol large ones") {
  // Bandwidth protocol 100e9 B/s, 20 us; low-latency 10e9 B/s, 5 us; no per-rank costs.
  const CollectiveLink link{100e9, 20e-6, 0, 10e9, 5e-6, 0};
  // 2 ranks, 1 KiB: bandwidth 20e-6 + 1024 / 100e9 = 20.01024e-6; low-latency 5e-6 + 1024 / 10e9
  //   = 5.1024e-6 s <- faster
  CHECK(all_reduce_time_s(1024, 2, link) == Approx(5.1024e-6));
  // 2 ranks, 64 MiB: bandwidth 20e-6 + 671.08864e-6 = 691.08864e-6 s <- faster; low-latency
  //   5e-6 + 6710.8864e-6
  CHECK(all_reduce_time_s(kMiB64, 2, link) == Approx(691.08864e-6));
  // The crossover: 20e-6 + S / 100e9 = 5e-6 + S / 10e9  ->  S = 15e-6 / (1/10e9 - 1/100e9) = 166,667 B.
  CHECK(all_reduce_time_s(150000, 2, link) < 20e-6 + 150000 / 100e9);
  CHECK(all_reduce_time_s(180000, 2, link) == Approx(20e-6 + 180000 / 100e9));
}
