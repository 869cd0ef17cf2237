#pragma once
// What the command line is made of, for the texts generated from it: `--help`, `help COMMAND`,
// the man page (`llmperforacle man`) and the shell completion (`llmperforacle completion bash`).
// Options are never listed here: they come from each command's own ArgParser declarations,
// collected by calling the command under a DeclarationCapture.
#include <functional>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"

namespace llmpo {

struct Subcommand {
  const char* name;
  const char* summary;  // one line, for the command list of --help and the man page
  std::function<int(const Args&, std::ostream&)> run;
};
const std::vector<Subcommand>& subcommands();  // in dispatch order, `version` last

// A subcommand with its declarations; spec.summary is the longer text of its --help.
struct CommandDoc {
  std::string name;
  std::string summary;
  CommandSpec spec;
};
std::vector<CommandDoc> command_docs();

// Options given instead of a command (`llmperforacle --version`) or before it (`llmperforacle
// --verbose run x.yaml`); written by hand, as no ArgParser handles them.
const std::vector<OptionSpec>& global_options();
// --verbose, -v, --quiet, -q: the diagnostics' level, for whatever command follows.
bool is_global_logging_option(const std::string& arg);

struct ExitCodeDoc {
  int code;
  const char* meaning;
};
const std::vector<ExitCodeDoc>& exit_code_docs();

// The one-paragraph description at the top of --help and in the man page's DESCRIPTION.
const char* program_description();
const char* program_version();

std::string bash_completion_script(const std::vector<CommandDoc>& commands);
std::string man_page(const std::vector<CommandDoc>& commands);

}  // namespace llmpo
