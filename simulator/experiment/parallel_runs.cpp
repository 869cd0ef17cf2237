#include "parallel_runs.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

namespace llmpo {

int default_jobs() {
  const unsigned threads = std::thread::hardware_concurrency();
  return threads == 0 ? 1 : static_cast<int>(threads);
}

void for_each_index(std::size_t count, int jobs, RunControl* control, const std::function<void(std::size_t)>& work) {
  std::atomic<std::size_t> next{0};
  std::mutex failure_mutex;
  std::exception_ptr failure;
  auto worker = [&] {
    for (std::size_t i = next++; i < count; i = next++) {
      {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (failure) return;
      }
      try {
        if (control != nullptr && control->stop.load()) throw Interrupted();
        work(i);
        if (control != nullptr) control->runs_done.fetch_add(1);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        if (control != nullptr) control->stop = true;  // the others end at their next check
        return;
      }
    }
  };
  const int threads = std::max(1, std::min<int>(jobs, static_cast<int>(std::min<std::size_t>(count, 1 << 20))));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);
}

void execute_runs(const ExperimentPlan& plan, RunExecutor& executor, int jobs,
                  const std::function<void(RunOutcome&, const Workload&)>& consume,
                  const std::function<bool(int64_t run)>& skip, RunControl* control) {
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < plan.runs.size(); ++i)
    if (!skip || !skip(static_cast<int64_t>(i))) todo.push_back(i);
    else executor.release(plan.runs[i].workload_index);  // never generated for a skipped run
  // Each run's outcome and workload are consumed before it is released, and consumers read the
  // workload's count, not its requests: the last run of a workload may free them (run_executor.hpp).
  executor.set_free_copied_requests(true);
  std::mutex consume_mutex;
  for_each_index(todo.size(), jobs, control, [&](std::size_t slot) {
    const RunSpec& run = plan.runs[todo[slot]];
    RunOutcome outcome = executor.execute(run, control);
    {
      std::lock_guard<std::mutex> lock(consume_mutex);
      consume(outcome, executor.workload(run.workload_index));
    }
    executor.release(run.workload_index);
  });
}

}  // namespace llmpo
