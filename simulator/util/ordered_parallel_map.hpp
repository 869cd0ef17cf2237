#pragma once
// Mapping a list on several threads with a loop's results: the outputs in input order, and when
// items fail, the exception of the first failing item (in input order) - what a loop over the
// items would have thrown. For independent, side-effect-free work such as parsing the library
// files: start-up parses ~65 YAML files, and yaml-cpp's scanner is slow enough that this is most
// of a small run's time.
#include <algorithm>
#include <atomic>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

namespace llmpo {

template <typename Item, typename Fn>
auto ordered_parallel_map(const std::vector<Item>& items, Fn fn) {
  using Result = decltype(fn(items.front()));
  std::vector<std::optional<Result>> results(items.size());
  std::vector<std::exception_ptr> errors(items.size());
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (std::size_t i = next++; i < items.size(); i = next++) {
      try {
        results[i].emplace(fn(items[i]));
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  // Small lists are not worth a thread.
  const std::size_t threads = items.size() < 4 ? 1 : std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 8);
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& thread : pool) thread.join();
  std::vector<Result> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (errors[i]) std::rethrow_exception(errors[i]);
    out.push_back(std::move(*results[i]));
  }
  return out;
}

}  // namespace llmpo
