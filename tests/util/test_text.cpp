#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>

#include <fmt/format.h>

#include "simulator/util/name_index.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"
#include "simulator/util/units.hpp"

using namespace llmpo;

TEST_CASE("text: edit distance counts single-character edits") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("kitten", "sitting") == 3);  // k->s, e->i, +g
  CHECK(edit_distance("vllm", "vlm") == 1);
  CHECK(edit_distance("abc", "") == 3);
}

TEST_CASE("text: did-you-mean proposes the closest valid names, nearest first") {
  const std::vector<std::string> valid = {"static", "vllm", "sglang"};
  CHECK(did_you_mean("vlm", valid) == "did you mean 'vllm'?");
  CHECK(did_you_mean("zzzzzzzz", valid).empty());
  CHECK(closest_matches("VLLM", valid) == std::vector<std::string>{"vllm"});
}

TEST_CASE("text: a query contained in a longer name still finds it") {
  const std::vector<std::string> valid = {"meta-llama/Meta-Llama-3-70B", "Qwen/Qwen2.5-7B"};
  CHECK(closest_matches("Meta-Llama-3-70B", valid).front() == "meta-llama/Meta-Llama-3-70B");
}

TEST_CASE("name_index: a name claimed by two entries is an error naming the first owner") {
  NameIndex index;
  index.add({"A100", "a100-sxm"}, 0, "a.yaml");
  index.add({"H100"}, 1, "h.yaml");
  CHECK(index.find("a100-SXM") == std::optional<std::size_t>{0});
  CHECK_FALSE(index.find("B200").has_value());
  try {
    index.add({"A100"}, 2, "b.yaml");
    FAIL("expected an error");
  } catch (const InputError& error) {
    CHECK_THAT(error.what(), Catch::Contains("b.yaml") && Catch::Contains("'A100' is already used by a.yaml"));
  }
}

TEST_CASE("name_index: an unknown name suggests the closest and says where to look") {
  NameIndex index;
  index.add({"H100-SXM", "H200"}, 0, "x.yaml");
  try {
    index.throw_unknown("GPU", "gpu", "H100-SMX", "llmperforacle list gpus");
  } catch (const InputError& error) {
    CHECK(std::string(error.what()) ==
          "gpu: unknown GPU 'H100-SMX'; did you mean 'H100-SXM'? (see `llmperforacle list gpus`)");
  }
}

TEST_CASE("units: byte and thousands formatting") {
  CHECK(format_thousands(327680) == "327,680");
  CHECK(format_thousands(-1234567) == "-1,234,567");
  CHECK(format_thousands(12) == "12");
  CHECK(format_bytes(1.5 * kGiB) == "1.50 GiB");
  CHECK(format_bytes(512) == "512 B");
  CHECK(format_seconds(0.0042) == "4.200 ms");
}

TEST_CASE("error: the message reads file:line:col: key.path: message") {
  const InputError error({"exp.yaml", 12, 5}, "frameworks_to_test[1].config.max_num_seqs", "must be positive");
  CHECK(std::string(error.what()) == "exp.yaml:12:5: frameworks_to_test[1].config.max_num_seqs: must be positive");
  CHECK(std::string(InputError({"f.yaml", 3, 0}, "", "x").what()) == "f.yaml:3: x");
}

TEST_CASE("exact_decimal: integer units written with their decimals, trailing zeros trimmed") {
  CHECK(exact_decimal(0, 9) == "0");
  CHECK(exact_decimal(1, 6) == "0.000001");
  CHECK(exact_decimal(1500000, 6) == "1.5");
  CHECK(exact_decimal(2000, 3) == "2");
  CHECK(exact_decimal(123456789012, 9) == "123.456789012");
  CHECK(exact_decimal(100000000, 9) == "0.1");
  CHECK(exact_decimal(999999999999999, 9) == "999999.999999999");
  CHECK(exact_decimal(42, 0) == "42");
}

TEST_CASE("exact_decimal: every decimal count 0-18 and every magnitude, against the digits placed by hand") {
  // The reference: the integer's digits, zero-padded to more than `decimals`, a '.' put before
  // the last `decimals` of them, trailing zeros and a bare '.' removed.
  const auto by_hand = [](int64_t units, int decimals) {
    std::string digits = std::to_string(units);
    if (static_cast<int>(digits.size()) <= decimals) digits.insert(0, static_cast<std::size_t>(decimals + 1) - digits.size(), '0');
    std::string text = digits.substr(0, digits.size() - static_cast<std::size_t>(decimals));
    std::string fraction = digits.substr(digits.size() - static_cast<std::size_t>(decimals));
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    return fraction.empty() ? text : text + "." + fraction;
  };
  std::mt19937_64 random(20261207);
  for (int decimals = 0; decimals <= 18; ++decimals) {
    for (const int64_t units : {int64_t{0}, int64_t{1}, int64_t{9}, int64_t{10}, int64_t{99}, int64_t{100}, int64_t{101},
                                int64_t{1000000000000000000}, std::numeric_limits<int64_t>::max()}) {
      INFO(units << " with " << decimals << " decimals");
      CHECK(exact_decimal(units, decimals) == by_hand(units, decimals));
    }
    for (int i = 0; i < 20000; ++i) {
      // Every magnitude from 1 to 2^63, and a tenth of them with a run of trailing zeros.
      auto units = static_cast<int64_t>(random() >> (1 + random() % 63));
      if (i % 10 == 1) units -= units % 1000;
      INFO(units << " with " << decimals << " decimals");
      REQUIRE(exact_decimal(units, decimals) == by_hand(units, decimals));
    }
  }
  std::string appended = "t=";
  append_exact_decimal(appended, 1500, 3);
  CHECK(appended == "t=1.5");
}

TEST_CASE("exact_decimal: the same text as the double printed with fmt, below 1e15 ns") {
  // requests.csv wrote times as trimmed fmt("{:.9f}", ns * 1e-9) and elapsed milliseconds as
  // trimmed fmt("{:.6f}", ns * 1e-6); below 1e15 ns the integer path must give the same bytes.
  const auto trimmed = [](std::string text) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
    return text;
  };
  std::mt19937_64 random(20261206);
  for (int i = 0; i < 200000; ++i) {
    // Log-uniform over 1 ns .. 1e15 ns, and every tenth value on a whole microsecond or second.
    int64_t ns = static_cast<int64_t>(std::exp(std::uniform_real_distribution<double>(0, std::log(1e15))(random)));
    if (i % 10 == 1) ns -= ns % 1000;
    if (i % 10 == 2) ns -= ns % 1000000000;
    INFO(ns);
    REQUIRE(exact_decimal(ns, 9) == trimmed(fmt::format("{:.9f}", static_cast<double>(ns) * 1e-9)));
    REQUIRE(exact_decimal(ns, 6) == trimmed(fmt::format("{:.6f}", static_cast<double>(ns) * 1e-6)));
  }
  for (const int64_t ns : {int64_t{0}, int64_t{999999999999999}, int64_t{123456789}})
    CHECK(exact_decimal(ns, 9) == trimmed(fmt::format("{:.9f}", static_cast<double>(ns) * 1e-9)));
}

TEST_CASE("round_to_decimals_exactly: with exact_decimal, fmt's {:.6f} text, or no answer") {
  const auto trimmed = [](std::string text) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
    return text;
  };
  CHECK(round_to_decimals_exactly(1.5, 6) == 1500000);
  CHECK(round_to_decimals_exactly(0.0000004, 6) == 0);
  CHECK(round_to_decimals_exactly(0.0000006, 6) == 1);
  CHECK_FALSE(round_to_decimals_exactly(-1.0, 6).has_value());
  CHECK_FALSE(round_to_decimals_exactly(std::nan(""), 6).has_value());
  CHECK_FALSE(round_to_decimals_exactly(2e12, 6).has_value());
  // An exact half is left to fmt: 2^-7 = 0.0078125 is 7812.5 micro-units.
  CHECK_FALSE(round_to_decimals_exactly(0.0078125, 6).has_value());
  CHECK(round_to_decimals_exactly(std::nextafter(0.0078125, 1.0), 6) == 7813);
  CHECK(round_to_decimals_exactly(std::nextafter(0.0078125, 0.0), 6) == 7812);
  std::mt19937_64 random(20261206);
  int64_t answered = 0, trials = 0;
  for (int i = 0; i < 300000; ++i) {
    double value;
    switch (i % 3) {
      case 0:  // log-uniform over 1e-9 .. 1e11
        value = std::exp(std::uniform_real_distribution<double>(std::log(1e-9), std::log(1e11))(random));
        break;
      case 1: {  // on or next to a half micro-unit, where rounding is decided by the last bits
        const double halfway = (static_cast<double>(random() % 100000000) + 0.5) * 1e-6;
        value = std::nextafter(halfway, (random() & 1) ? 0.0 : 1e300);
        if (random() % 3 == 0) value = halfway;
        break;
      }
      default:  // ratios like the time series' means
        value = static_cast<double>(random() % 1000000) / static_cast<double>(1 + random() % 9999);
    }
    ++trials;
    const auto units = round_to_decimals_exactly(value, 6);
    if (!units) continue;
    ++answered;
    INFO(fmt::format("{:.17g}", value));
    REQUIRE(exact_decimal(*units, 6) == trimmed(fmt::format("{:.6f}", value)));
  }
  // Only exact halves are left to fmt (none among these draws but by chance).
  CHECK(answered > trials * 999 / 1000);
}
