// The large per-request arrays are allocated with a huge-page hint (simulator/core/huge_pages.hpp).
// The hint only changes how the kernel maps the storage, which no test can see portably (the
// page faults saved are reported by the benchmarks); what the tests pin down is that the helpers
// are ordinary vectors to their users: every element kept, in order, and push_back's growth.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "simulator/core/huge_pages.hpp"

using namespace llmpo;

TEST_CASE("huge pages: make_room_huge grows a vector by doubling and keeps its elements in order") {
  std::vector<int64_t> v;
  std::vector<std::size_t> capacities;
  // 3 million 8-byte elements: the later doublings are 16 MiB and more, so they are advised.
  for (int64_t i = 0; i < 3'000'000; ++i) {
    const std::size_t before = v.capacity();
    make_room_huge(v);
    if (v.capacity() != before) capacities.push_back(v.capacity());
    v.push_back(3 * i + 1);
  }
  REQUIRE(v.size() == 3'000'000);
  bool in_order = true;
  for (std::size_t i = 0; i < v.size(); ++i) in_order = in_order && v[i] == 3 * static_cast<int64_t>(i) + 1;
  CHECK(in_order);
  // 16, 32, ..., 2^22 (4,194,304 >= 3,000,000): 19 growths, each exactly twice the last.
  REQUIRE(capacities.size() == 19);
  CHECK(capacities.front() == 16);
  for (std::size_t i = 1; i < capacities.size(); ++i) CHECK(capacities[i] == 2 * capacities[i - 1]);
  // Room left: nothing moves.
  const int64_t* data = v.data();
  make_room_huge(v);
  CHECK(v.data() == data);
}

TEST_CASE("huge pages: huge_vector holds count copies of the value, as the vector constructor does") {
  CHECK(huge_vector<int32_t>(1'500'000, 7) == std::vector<int32_t>(1'500'000, 7));
  CHECK(huge_vector<int32_t>(1'500'000) == std::vector<int32_t>(1'500'000));
  CHECK(huge_vector<double>(0).empty());
}
