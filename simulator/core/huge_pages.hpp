#pragma once
// Transparent huge pages for the large per-request arrays. A run of a million requests fills
// about 150 MB of RequestState (and the workload 70 MB) front to back, once: with 4 KiB pages
// that is some 55,000 page faults, an eighth of the reference run's time in the kernel. Where
// the kernel gives huge pages only to ranges that ask (transparent_hugepage = madvise, Debian's
// and Ubuntu's default), asking makes those 2 MiB faults, 512 times fewer. A hint only: where it
// is refused or unsupported nothing changes, and results never depend on it.
#include <algorithm>
#include <cstddef>
#include <iterator>
#include <vector>

namespace llmpo {

// Asks for huge pages on the whole 2 MiB pages inside [data, data + bytes); small ranges are
// left alone.
void advise_huge_pages(void* data, std::size_t bytes);

// v.reserve(count), with the new storage advised before anything touches it.
template <class T>
void reserve_huge(std::vector<T>& v, std::size_t count) {
  if (count <= v.capacity()) return;
  v.reserve(count);
  advise_huge_pages(v.data(), v.capacity() * sizeof(T));
}

// `count` copies of `value`, written into storage advised first.
template <class T>
std::vector<T> huge_vector(std::size_t count, const T& value = T{}) {
  std::vector<T> v;
  reserve_huge(v, count);
  v.resize(count, value);
  return v;
}

// Before appending one element to v: when it is full, doubles its capacity as push_back would,
// with the new storage advised. For arrays that grow to many MiB an element at a time (the time
// series), whose every doubling would otherwise fault in its new pages 4 KiB at a time.
template <class T>
void make_room_huge(std::vector<T>& v) {
  if (v.size() < v.capacity()) return;
  // Advised before the elements move in: v.reserve would copy them into pages not yet advised.
  std::vector<T> bigger;
  reserve_huge(bigger, std::max<std::size_t>(2 * v.capacity(), 16));
  bigger.insert(bigger.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
  v.swap(bigger);
}

}  // namespace llmpo
