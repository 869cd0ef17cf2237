#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <vector>

#include "simulator/core/rng.hpp"
#include "simulator/util/error.hpp"
#include "simulator/workload/workload.hpp"

using namespace llmpo;

namespace {

ArrivalSpec poisson(double rate) {
  ArrivalSpec spec;
  spec.process = ArrivalProcess::poisson;
  spec.rate_per_s = rate;
  return spec;
}

LengthSpec fixed(int64_t tokens) {
  LengthSpec spec;
  spec.kind = LengthKind::fixed;
  spec.value = tokens;
  return spec;
}

WorkloadSpec simple(ArrivalSpec arrival, int64_t count) {
  WorkloadSpec spec;
  spec.arrival = arrival;
  spec.num_requests = count;
  spec.prompt_tokens = fixed(100);
  spec.output_tokens = fixed(10);
  return spec;
}

// Counts of arrivals in consecutive windows [i*w, (i+1)*w) for i < windows.
std::vector<int> window_counts(const std::vector<double>& times, double width, int windows) {
  std::vector<int> counts(static_cast<std::size_t>(windows), 0);
  for (const double t : times) {
    const auto i = static_cast<int>(t / width);
    if (i < windows) ++counts[static_cast<std::size_t>(i)];
  }
  return counts;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& error) {
    return error.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("arrivals: a Poisson process's count up to time T has mean and variance rate * T") {
  // Counts in disjoint windows of one Poisson process are independent Poisson(rate * T).
  const double rate = 5.0, window = 10.0;
  const int windows = 4000;
  Rng rng = stream(1, "poisson");
  const std::vector<double> times = generate_arrival_times_s(poisson(rate), std::nullopt, window * windows, rng);
  const std::vector<int> counts = window_counts(times, window, windows);
  double sum = 0, sum2 = 0;
  for (const int c : counts) { sum += c; sum2 += double(c) * c; }
  const double mean = sum / windows;
  const double variance = (sum2 - windows * mean * mean) / (windows - 1);
  CHECK(mean == Approx(rate * window).margin(5 * std::sqrt(rate * window / windows)));
  CHECK(variance == Approx(rate * window).epsilon(5 * std::sqrt(2.0 / windows)));
  CHECK(times.back() < window * windows);
  CHECK(std::is_sorted(times.begin(), times.end()));
}

TEST_CASE("arrivals: gamma inter-arrivals keep the mean rate and have CV^2 = 1/burstiness") {
  for (const double burstiness : {0.25, 0.5, 1.0, 2.0, 4.0}) {
    INFO("burstiness " << burstiness);
    ArrivalSpec spec = poisson(8.0);
    spec.process = ArrivalProcess::gamma;
    spec.burstiness = burstiness;
    Rng rng = stream(2, "gamma");
    const std::vector<double> times = generate_arrival_times_s(spec, 200'000, std::nullopt, rng);
    double sum = 0, sum2 = 0, previous = 0;
    for (const double t : times) {
      const double gap = t - previous;
      previous = t;
      sum += gap; sum2 += gap * gap;
    }
    const double n = double(times.size());
    const double mean = sum / n;
    const double cv2 = (sum2 / n - mean * mean) / (mean * mean);
    CHECK(mean == Approx(1.0 / 8.0).epsilon(5 * std::sqrt(1.0 / (burstiness * n))));
    CHECK(cv2 == Approx(1.0 / burstiness).epsilon(5 * std::sqrt((2.0 + 6.0 / burstiness) / n)));
  }
}

TEST_CASE("arrivals: constant arrivals come exactly every 1/rate seconds, the first one gap after 0") {
  ArrivalSpec spec = poisson(4.0);
  spec.process = ArrivalProcess::constant;
  Rng rng = stream(3, "constant");
  const std::vector<double> times = generate_arrival_times_s(spec, 8, std::nullopt, rng);
  REQUIRE(times.size() == 8);
  for (std::size_t k = 0; k < times.size(); ++k) CHECK(times[k] == double(k + 1) / 4.0);
  Rng rng2 = stream(3, "constant");
  CHECK(generate_arrival_times_s(spec, std::nullopt, 2.0, rng2).size() == 7);  // 0.25 .. 1.75
}

TEST_CASE("arrivals: a steps schedule delivers each window's rate, pauses included") {
  ArrivalSpec spec;
  spec.process = ArrivalProcess::steps;
  spec.steps = {{1000, 2.0}, {2000, 8.0}, {3000, 0.0}, {4000, 4.0}};
  Rng rng = stream(4, "steps");
  const std::vector<double> times = generate_arrival_times_s(spec, std::nullopt, 4000.0, rng);
  const std::vector<int> counts = window_counts(times, 1000.0, 4);
  const double expected[] = {2000, 8000, 0, 4000};
  for (int i = 0; i < 4; ++i) {
    INFO("window " << i);
    CHECK(counts[static_cast<std::size_t>(i)] == Approx(expected[i]).margin(5 * std::sqrt(expected[i])));
  }
  CHECK(counts[2] == 0);
  // Past the last step its rate holds: with num_requests the process continues at 4/s.
  Rng rng2 = stream(4, "steps");
  const std::vector<double> more = generate_arrival_times_s(spec, 20'000, std::nullopt, rng2);
  CHECK(more.size() == 20'000);
  CHECK(more.back() > 4000.0);
}

TEST_CASE("arrivals: a ramp is a non-homogeneous Poisson process with the linear rate") {
  ArrivalSpec spec;
  spec.process = ArrivalProcess::ramp;
  spec.ramp = {1.0, 10.0, 1000.0};
  Rng rng = stream(5, "ramp");
  const std::vector<double> times = generate_arrival_times_s(spec, std::nullopt, 1500.0, rng);
  const std::vector<int> counts = window_counts(times, 100.0, 15);
  for (int i = 0; i < 15; ++i) {
    const double a = 100.0 * i, b = a + 100.0;
    // Integral of the rate over [a, b): 1 + 9 t / 1000 up to 1000 s, then 10.
    const auto lambda = [](double t) { return t <= 1000 ? t + 0.0045 * t * t : 1000 + 4500 + 10 * (t - 1000); };
    const double expected = lambda(b) - lambda(a);
    INFO("window [" << a << ", " << b << ")");
    CHECK(counts[static_cast<std::size_t>(i)] == Approx(expected).margin(5 * std::sqrt(expected)));
  }
}

TEST_CASE("arrivals: a ramp down to 0 cannot deliver more requests than its schedule holds") {
  WorkloadSpec spec;
  ArrivalSpec arrival;
  arrival.process = ArrivalProcess::ramp;
  arrival.ramp = {10.0, 0.0, 100.0};  // about 500 requests in all
  spec = simple(arrival, 5000);
  CHECK_THAT(error_of([&] { generate_workload(spec, 1, 0); }),
             Catch::Contains("workload.num_requests") && Catch::Contains("falls to 0 for good"));
  spec.num_requests.reset();  // neither count nor duration: the schedule's end
  const Workload w = generate_workload(spec, 1, 0);
  CHECK(double(w.requests.size()) == Approx(500).margin(5 * std::sqrt(500)));
  CHECK(w.requests.back().arrival_ns < 100 * kNsPerSecond);
}

TEST_CASE("workload: a spec with more classes than a request's class id can name is refused") {
  WorkloadSpec spec = simple(poisson(5), 3);
  spec.classes.resize(static_cast<std::size_t>(kMaxClientClasses) + 1);
  for (std::size_t i = 0; i < spec.classes.size(); ++i) {
    spec.classes[i].name = "c" + std::to_string(i);
    spec.classes[i].weight = 1;
  }
  CHECK_THAT(error_of([&] { generate_workload(spec, 1, 0); }), Catch::Contains("at most 32767 are supported"));
  spec.classes.resize(static_cast<std::size_t>(kMaxClientClasses));
  const Workload w = generate_workload(spec, 1, 0);  // the most a class id can name
  CHECK(w.classes.size() == 32767);
  CHECK(w.requests.size() == 3);
}

TEST_CASE("workload: the same seed gives identical requests, another seed different ones") {
  WorkloadSpec spec = simple(poisson(3.0), 500);
  LengthSpec lognormal;
  lognormal.kind = LengthKind::lognormal;
  lognormal.mean = 200;
  lognormal.stdev = 100;
  spec.output_tokens = lognormal;
  const Workload a = generate_workload(spec, 99, 0);
  const Workload b = generate_workload(spec, 99, 0);
  const Workload c = generate_workload(spec, 100, 0);
  REQUIRE(a.requests.size() == 500);
  bool all_same = true, any_different = false;
  for (std::size_t i = 0; i < 500; ++i) {
    const Request &x = a.requests[i], &y = b.requests[i], &z = c.requests[i];
    all_same = all_same && x.id == y.id && x.arrival_ns == y.arrival_ns && x.prompt_tokens == y.prompt_tokens &&
               x.output_tokens == y.output_tokens && x.class_id == y.class_id && x.client_id == y.client_id;
    any_different = any_different || x.arrival_ns != z.arrival_ns || x.output_tokens != z.output_tokens;
    REQUIRE(x.id == int64_t(i));
    if (i > 0) REQUIRE(x.arrival_ns >= a.requests[i - 1].arrival_ns);
  }
  CHECK(all_same);
  CHECK(any_different);
  CHECK(a.summary == b.summary);
  CHECK(a.columns == b.columns);
}

TEST_CASE("workload: changing the output distribution leaves arrivals and prompts untouched") {
  WorkloadSpec spec = simple(poisson(3.0), 300);
  LengthSpec uniform;
  uniform.kind = LengthKind::uniform;
  uniform.min = 10;
  uniform.max = 1000;
  spec.prompt_tokens = uniform;
  const Workload before = generate_workload(spec, 5, 0);
  LengthSpec zipf;
  zipf.kind = LengthKind::zipf;
  zipf.min = 1;
  zipf.max = 500;
  zipf.exponent = 1.1;
  spec.output_tokens = zipf;
  const Workload after = generate_workload(spec, 5, 0);
  for (std::size_t i = 0; i < 300; ++i) {
    REQUIRE(before.requests[i].arrival_ns == after.requests[i].arrival_ns);
    REQUIRE(before.requests[i].prompt_tokens == after.requests[i].prompt_tokens);
  }
  // More requests keep the first ones as they were.
  spec.num_requests = 400;
  const Workload longer = generate_workload(spec, 5, 0);
  for (std::size_t i = 0; i < 300; ++i) REQUIRE(longer.requests[i].output_tokens == after.requests[i].output_tokens);
}

TEST_CASE("workload: duration_s keeps only arrivals before it") {
  WorkloadSpec spec = simple(poisson(10.0), 1);
  spec.num_requests.reset();
  spec.duration_s = 60.0;
  const Workload w = generate_workload(spec, 8, 0);
  CHECK(double(w.requests.size()) == Approx(600).margin(5 * std::sqrt(600)));
  CHECK(w.requests.back().arrival_ns < 60 * kNsPerSecond);
  CHECK(w.columns[0] == std::pair<std::string, std::string>{"arrival_process", "poisson"});
  CHECK(w.columns[1] == std::pair<std::string, std::string>{"request_rate_per_s", "10"});
}

TEST_CASE("workload: a closed loop assigns requests to clients round-robin with no arrival times") {
  ArrivalSpec arrival;
  arrival.process = ArrivalProcess::closed_loop;
  arrival.clients = 3;
  arrival.think_time_s = 0.5;
  const Workload w = generate_workload(simple(arrival, 10), 1, 0);
  CHECK(w.closed_loop);
  CHECK(w.clients == 3);
  CHECK(w.think_time_ns == 500'000'000);
  REQUIRE(w.requests.size() == 10);
  for (std::size_t i = 0; i < 10; ++i) {
    CHECK(w.requests[i].client_id == int32_t(i % 3));
    CHECK(w.requests[i].arrival_ns == 0);
    CHECK(w.requests[i].id == int64_t(i));
  }
  const Workload open = generate_workload(simple(poisson(1.0), 5), 1, 0);
  CHECK_FALSE(open.closed_loop);
  CHECK(open.requests[0].client_id == -1);
}

TEST_CASE("workload: requests longer than max_model_len are clipped, output first, and counted") {
  WorkloadSpec spec = simple(poisson(1.0), 4);
  spec.prompt_tokens = fixed(3000);
  spec.output_tokens = fixed(2000);
  Workload w = generate_workload(spec, 1, 4096);
  CHECK(w.clipped_requests == 4);
  CHECK(w.requests[0].prompt_tokens == 3000);
  CHECK(w.requests[0].output_tokens == 1096);
  CHECK_THAT(w.summary, Catch::Contains("4 clipped to max_model_len 4096"));
  spec.prompt_tokens = fixed(5000);
  w = generate_workload(spec, 1, 4096);
  CHECK(w.requests[0].prompt_tokens == 4095);
  CHECK(w.requests[0].output_tokens == 1);
  spec.prompt_tokens = fixed(2000);
  spec.output_tokens = fixed(2096);
  w = generate_workload(spec, 1, 4096);  // exactly max_model_len fits
  CHECK(w.clipped_requests == 0);
  CHECK(generate_workload(spec, 1, 0).clipped_requests == 0);  // 0: no limit
}

TEST_CASE("workload: classes are mixed by weight and each draws its own lengths") {
  WorkloadSpec spec = simple(poisson(5.0), 20'000);
  spec.prompt_tokens.reset();
  spec.output_tokens = fixed(7);
  ClassSpec chat;
  chat.name = "chat";
  chat.weight = 3;
  chat.prompt_tokens = fixed(100);
  chat.slo.ttft_ms = 500;
  ClassSpec batch;
  batch.name = "batch";
  batch.weight = 1;
  batch.prompt_tokens = fixed(2000);
  spec.classes = {chat, batch};
  const Workload w = generate_workload(spec, 4, 0);
  REQUIRE(w.classes.size() == 2);
  CHECK(w.classes[0].name == "chat");
  CHECK(w.classes[0].slo.ttft_ms == 500.0);
  CHECK_FALSE(w.classes[1].slo.ttft_ms.has_value());
  int chat_count = 0;
  for (const Request& r : w.requests) {
    REQUIRE(r.prompt_tokens == (r.class_id == 0 ? 100 : 2000));
    REQUIRE(r.output_tokens == 7);
    chat_count += r.class_id == 0;
  }
  CHECK(chat_count / 20000.0 == Approx(0.75).margin(5 * std::sqrt(0.75 * 0.25 / 20000)));
  CHECK_THAT(w.summary, Catch::Contains("classes chat 75% / batch 25%"));
  // Without classes there is one, named "default".
  const Workload plain = generate_workload(simple(poisson(5.0), 3), 4, 0);
  REQUIRE(plain.classes.size() == 1);
  CHECK(plain.classes[0].name == "default");
}

TEST_CASE("workload: length distributions are rounded, clamped to min..max and at least 1") {
  WorkloadSpec spec = simple(poisson(5.0), 20'000);
  LengthSpec normal;
  normal.kind = LengthKind::normal;
  normal.mean = 50;
  normal.stdev = 40;
  normal.min = 20;
  normal.max = 90;
  spec.prompt_tokens = normal;
  LengthSpec lognormal;
  lognormal.kind = LengthKind::lognormal;
  lognormal.mean = 300;
  lognormal.stdev = 150;
  spec.output_tokens = lognormal;
  const Workload w = generate_workload(spec, 2, 0);
  double output_sum = 0;
  for (const Request& r : w.requests) {
    REQUIRE(r.prompt_tokens >= 20);
    REQUIRE(r.prompt_tokens <= 90);
    REQUIRE(r.output_tokens >= 1);
    output_sum += r.output_tokens;
  }
  CHECK(output_sum / 20000 == Approx(300).margin(5 * 150 / std::sqrt(20000.0)));
}

TEST_CASE("workload: a spec changed in code is checked when generated") {
  WorkloadSpec spec = simple(poisson(5.0), 10);
  spec.arrival->rate_per_s = -1;
  CHECK(error_of([&] { generate_workload(spec, 1, 0); }) ==
        "workload.arrival.rate_per_s: must be greater than 0");
  spec = simple(poisson(5.0), 10);
  spec.prompt_tokens.reset();
  CHECK_THAT(error_of([&] { generate_workload(spec, 1, 0); }), Catch::Contains("workload.prompt_tokens"));
}
