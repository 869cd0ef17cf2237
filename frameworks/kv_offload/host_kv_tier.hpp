#pragma once
// A second KV-cache tier in host (CPU) memory, as vLLM's native offloading keeps it
// (vllm/v1/kv_offload/lru_manager.py, LRUOffloadingManager; driven by OffloadingConnectorScheduler,
// vllm/distributed/kv_transfer/kv_connector/v1/offloading/scheduler.py): a set of KV blocks named
// by their content key (the PromptTree block key, vLLM's block hash), evicted least recently used
// first, and copied to and from the GPU over PCIe.
//
// What it mirrors of vLLM, and why each matters for the numbers:
// - store: blocks already present are not copied again; the new ones are appended as most
//   recently used after evicting exactly as many LRU blocks as are missing from the free space;
//   then the whole chain passed in is touched last-to-first, so its FIRST block ends most recently
//   used (LRUOffloadingManager.touch walks the hashes reversed): under pressure a prefix loses its
//   tail before its head, which keeps what is left a usable prefix.
// - a store that cannot fit (more new blocks than the tier holds) is refused whole
//   (prepare_store returns None; the connector logs "cannot store" and skips it).
// - match: a chain hits only consecutively from its first block (lookup stops at the first
//   missing one), and every present block of the chain is touched first.
// - transfer cost: vLLM's CPU backend copies block by block with cudaMemcpyAsync on the GPU's DMA
//   engines (ops.swap_blocks); each GPU of a TP/PP group copies its own shard over its own PCIe
//   link at the same time, so the time is that of one GPU's shard (see load_time_ns).
// Not modelled: reference counts of blocks being loaded or still being stored (the simulator
// charges transfers as delays, so nothing is half-copied): a stored block is present at once,
// where vLLM lets lookups hit it only when its copy completes (store_time_ns later) and never
// evicts it meanwhile; and vLLM's other policy, ARC.
//
// Single-threaded, owned by one replica's scheduler. frameworks/kv_offload/README.md says how a
// scheduler calls it.
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "simulator/core/time.hpp"

namespace llmpo {

enum class HostEvictionPolicy { lru };

// Fixed cost of one block's copy between host and device: submitting one cudaMemcpyAsync takes
// about 5-7 us (DualPath, arXiv 2602.21548, section 5.2), and vLLM's CPU backend issues one per
// block. With PCIe gen5 x16 (63.04 GB/s here) a 2 MiB Llama-3-8B block then moves at
// 2 MiB / (33.3 + 6 us) = 53 GB/s, against the ~50 GB/s single-direction DMA throughput that
// vLLM's offloading blog measured on an H100 for 2 MB blocks (blog.vllm.ai, 2025-12-29,
// "Inside vLLM's New Offloading Connector").
inline constexpr double kHostBlockCopyOverheadS = 6e-6;

struct HostKvTierCounters {
  int64_t stored_blocks = 0;   // copied device -> host (new blocks of accepted stores)
  int64_t loaded_blocks = 0;   // copied host -> device (what load() was told)
  int64_t evicted_blocks = 0;  // dropped from the host tier to make room
  int64_t refused_stores = 0;  // store() calls whose new blocks could not fit at all
};

class HostKvTier {
 public:
  // capacity_blocks: blocks the tier holds (>= 0); block_bytes_per_gpu: one block's KV on one GPU
  // (its shard: block tokens x that GPU's KV bytes per token); pcie_bytes_per_s: one GPU's PCIe
  // bandwidth per direction (GpuSpec::link.pcie_bandwidth_bytes_per_s()).
  HostKvTier(int64_t capacity_blocks, double block_bytes_per_gpu, double pcie_bytes_per_s,
             HostEvictionPolicy policy = HostEvictionPolicy::lru,
             double block_copy_overhead_s = kHostBlockCopyOverheadS);

  // keys[0..n): a chain of block keys (consecutive blocks of one sequence, normally from its
  // first block up to its last full computed block). The ones not yet in the tier are copied
  // into it, evicting LRU blocks as needed; all of them are then touched. Returns how many were
  // newly stored (0 when all were present or the store was refused): charge store_time_ns(that).
  int64_t store(const uint64_t* keys, int64_t n);

  // How many of keys[0..n) are in the tier consecutively from keys[0] (the host extension of a
  // GPU prefix hit: pass the keys from the first block the GPU did not hit). Touches the present
  // ones. Counts nothing: call load() for the blocks actually brought back.
  int64_t match(const uint64_t* keys, int64_t n);

  // The scheduler brings `blocks` blocks back to the GPU: counts them and returns the copy time.
  SimTime load(int64_t blocks);

  // Time to copy `blocks` blocks host -> device, or device -> host (PCIe is full duplex and the
  // GPU has a DMA engine each way, so the two directions do not slow each other here).
  SimTime load_time_ns(int64_t blocks) const { return transfer_time_ns(blocks); }
  SimTime store_time_ns(int64_t blocks) const { return transfer_time_ns(blocks); }

  bool contains(uint64_t key) const { return slot_of_.count(key) != 0; }
  int64_t size_blocks() const { return static_cast<int64_t>(slot_of_.size()); }
  int64_t capacity_blocks() const { return capacity_blocks_; }
  const HostKvTierCounters& counters() const { return counters_; }

  // Keys from least to most recently used (for tests and diagnostics; O(size)).
  std::vector<uint64_t> keys_lru_first() const;

  // Throws InternalError unless the LRU list and the index hold the same blocks, within
  // capacity, and the counters add up (stored - evicted = size).
  void check_invariants() const;

 private:
  SimTime transfer_time_ns(int64_t blocks) const;
  void move_to_back(int64_t slot);  // most recently used
  void unlink(int64_t slot);
  void link_back(int64_t slot);
  void evict_front();

  struct Slot {
    uint64_t key = 0;
    int64_t prev = -1;
    int64_t next = -1;
  };
  int64_t capacity_blocks_;
  double block_bytes_per_gpu_;
  double pcie_bytes_per_s_;
  double block_copy_overhead_s_;
  // A doubly linked LRU list over slots (front = least recently used), slots reused through a
  // free list, so that a long run allocates only while the tier first fills.
  std::vector<Slot> slots_;
  std::vector<int64_t> free_slots_;
  int64_t front_ = -1;
  int64_t back_ = -1;
  std::unordered_map<uint64_t, int64_t> slot_of_;
  std::vector<uint64_t> missing_scratch_;  // store()'s keys to copy, kept to reuse its memory
  HostKvTierCounters counters_;
};

}  // namespace llmpo
