#pragma once
// Finds and loads llmperforacle-mpi.so, the MPI plugin (mpi_backend.hpp says why MPI is one).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mpi_backend.hpp"

namespace llmpo {

// Where the plugin of the executable at `executable` is looked for, in this order: its own
// folder (a build tree's build/bin), then PREFIX/<libdir>/llmperforacle for an installed
// PREFIX/bin/llmperforacle (the .deb's /usr/lib/llmperforacle).
std::vector<std::string> mpi_plugin_candidates(const std::string& executable);

// The first candidate of this process's executable that exists; nullopt when none does.
std::optional<std::string> find_mpi_plugin();
// "the MPI plugin llmperforacle-mpi.so is missing (looked for A and B)".
std::string missing_mpi_plugin_message();

// Loads the first candidate of this process's executable that exists and creates its backend.
// InputError when none exists (naming the paths tried), when it cannot be loaded (the path and
// dlerror()), or when it was built for another interface version.
std::unique_ptr<MpiBackend> load_mpi_backend();

}  // namespace llmpo
