#pragma once
#include <cstdint>

#include "simulator/metrics/latency_sketch.hpp"
#include "time.hpp"

namespace llmpo {

// Adds inter-token gaps to the sketch, runs of equal gaps at once: a batch's requests mostly
// emitted at the same previous step end, so their gaps repeat.
class GapRuns {
 public:
  explicit GapRuns(LatencySketch& sketch) : sketch_(sketch) {}
  ~GapRuns() { flush(); }
  GapRuns(const GapRuns&) = delete;
  GapRuns& operator=(const GapRuns&) = delete;

  void add(SimTime gap) {
    if (gap != gap_ && count_ > 0) flush();
    gap_ = gap;
    ++count_;
  }

 private:
  void flush() {
    if (count_ > 0) sketch_.add(gap_, count_);
    count_ = 0;
  }
  LatencySketch& sketch_;
  SimTime gap_ = 0;
  int64_t count_ = 0;
};

}  // namespace llmpo
