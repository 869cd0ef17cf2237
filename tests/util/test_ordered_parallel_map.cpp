// ordered_parallel_map gives what a loop would: results in input order, and the first failing
// item's exception however the threads interleave.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "simulator/util/ordered_parallel_map.hpp"

using llmpo::ordered_parallel_map;

TEST_CASE("ordered_parallel_map: results in input order") {
  std::vector<int> items(1000);
  for (int i = 0; i < 1000; ++i) items[static_cast<std::size_t>(i)] = i;
  const std::vector<std::string> out = ordered_parallel_map(items, [](int i) { return std::to_string(i * i); });
  REQUIRE(out.size() == 1000);
  for (int i = 0; i < 1000; ++i) CHECK(out[static_cast<std::size_t>(i)] == std::to_string(i * i));
}

TEST_CASE("ordered_parallel_map: the first failing item's exception, as a loop would throw it") {
  std::vector<int> items(200);
  for (int i = 0; i < 200; ++i) items[static_cast<std::size_t>(i)] = i;
  // Items 37, 38 and every one from 150 fail; 37 is the first a loop meets.
  const auto parse = [](int i) {
    if (i == 37 || i == 38 || i >= 150) throw std::runtime_error("item " + std::to_string(i));
    return i;
  };
  for (int attempt = 0; attempt < 20; ++attempt) CHECK_THROWS_WITH(ordered_parallel_map(items, parse), "item 37");
}

TEST_CASE("ordered_parallel_map: an empty list maps to an empty list") {
  const std::vector<int> none;
  CHECK(ordered_parallel_map(none, [](int i) { return i; }).empty());
}
