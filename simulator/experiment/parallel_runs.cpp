#include "parallel_runs.hpp"

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

namespace llmpo {

int default_jobs() {
  const unsigned threads = std::thread::hardware_concurrency();
  return threads == 0 ? 1 : static_cast<int>(threads);
}

void execute_runs(const ExperimentPlan& plan, RunExecutor& executor, int jobs,
                  const std::function<void(RunOutcome&, const Workload&)>& consume) {
  std::atomic<std::size_t> next{0};
  std::mutex consume_mutex;
  std::exception_ptr failure;
  auto worker = [&] {
    for (;;) {
      const std::size_t index = next.fetch_add(1);
      if (index >= plan.runs.size()) return;
      {
        std::lock_guard<std::mutex> lock(consume_mutex);
        if (failure) return;
      }
      try {
        const RunSpec& run = plan.runs[index];
        RunOutcome outcome = executor.execute(run);
        {
          std::lock_guard<std::mutex> lock(consume_mutex);
          consume(outcome, executor.workload(run.workload_index));
        }
        executor.release(run.workload_index);
      } catch (...) {
        std::lock_guard<std::mutex> lock(consume_mutex);
        if (!failure) failure = std::current_exception();
        return;
      }
    }
  };
  const int threads = std::max(1, std::min<int>(jobs, static_cast<int>(plan.runs.size())));
  if (threads == 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& thread : pool) thread.join();
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace llmpo
