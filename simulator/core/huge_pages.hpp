#pragma once
// Transparent huge pages for the large per-request arrays. A run of a million requests fills
// about 150 MB of RequestState (and the workload 70 MB) front to back, once: with 4 KiB pages
// that is some 55,000 page faults, an eighth of the reference run's time in the kernel. Where
// the kernel gives huge pages only to ranges that ask (transparent_hugepage = madvise, Debian's
// and Ubuntu's default), asking makes those 2 MiB faults, 512 times fewer. A hint only: where it
// is refused or unsupported nothing changes, and results never depend on it.
#include <cstddef>
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

}  // namespace llmpo
