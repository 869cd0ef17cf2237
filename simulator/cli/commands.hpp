#pragma once
// One function per subcommand; each parses its own arguments, prints to `out`, and returns an
// exit code. They throw InputError for bad input; main() reports it.
#include <ostream>
#include <string>
#include <vector>

namespace llmpo {

using Args = std::vector<std::string>;

int command_list(const Args& args, std::ostream& out);
int command_memory(const Args& args, std::ostream& out);
int command_roofline(const Args& args, std::ostream& out);
int command_step(const Args& args, std::ostream& out);
int command_run(const Args& args, std::ostream& out);
int command_validate(const Args& args, std::ostream& out);
int command_perf(const Args& args, std::ostream& out);
int command_calibrate(const Args& args, std::ostream& out);
int command_fidelity(const Args& args, std::ostream& out);
int command_capacity(const Args& args, std::ostream& out);
int command_recommend(const Args& args, std::ostream& out);
int command_merge(const Args& args, std::ostream& out);
int command_search(const Args& args, std::ostream& out);
int command_replay(const Args& args, std::ostream& out);
int command_compare(const Args& args, std::ostream& out);
int command_init(const Args& args, std::ostream& out);
int command_bench(const Args& args, std::ostream& out);
int command_report(const Args& args, std::ostream& out);
int command_completion(const Args& args, std::ostream& out);
int command_man(const Args& args, std::ostream& out);
int command_import_lpo(const Args& args, std::ostream& out);

// Runs `llmperforacle <args...>`: dispatches to the subcommand, turns errors into a message on
// `err` and an exit code (0 ok, 2 bad input, 1 internal error).
int run_cli(const Args& args, std::ostream& out, std::ostream& err);

}  // namespace llmpo
