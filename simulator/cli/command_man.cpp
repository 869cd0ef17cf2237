// `llmperforacle man`: the llmperforacle(1) manual page in roff (man macros), generated from the
// commands' ArgParser declarations, the exit codes and the description --help prints, so that the
// page cannot drift from the binary. View it with `llmperforacle man | man -l -`.
#include <fmt/format.h>

#include "cli_docs.hpp"
#include "output_format.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

namespace {

// One line of text for roff: backslashes and hyphens escaped (`\-` keeps option names
// copy-pasteable), a break point after '/' (long paths), non-ASCII as \[uXXXX] (groff reads its
// input as Latin-1 otherwise), and a leading '.' or '\'' protected by \& from being read as a request.
std::string escaped_line(const std::string& line) {
  std::string out;
  if (!line.empty() && (line[0] == '.' || line[0] == '\'')) out += "\\&";
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else if (c == '/') out += "/\\:";  // a break point: long paths would not fit a line otherwise
    else if (c < 0x80) out += static_cast<char>(c);
    else {
      // Decode one UTF-8 sequence; a stray byte is taken as Latin-1, which is what groff would do.
      const int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
      uint32_t code = extra == 0 ? c : c & (0x3F >> extra);
      for (int k = 0; k < extra && i + 1 < line.size(); ++k) code = (code << 6) | (static_cast<unsigned char>(line[++i]) & 0x3F);
      out += fmt::format("\\[u{:04X}]", code);
    }
  }
  return out;
}

// Text that may span lines: each line escaped and trimmed (a leading space would force a break).
std::string escaped(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    const auto first = line.find_first_not_of(' ');
    line = first == std::string::npos ? "" : line.substr(first);
    if (!line.empty()) {
      if (!out.empty()) out += '\n';  // not `"\n" + string&&`: GCC 12 -O3 warns falsely on that
      out += escaped_line(line);
    }
    start = end + 1;
  }
  return out;
}

// The roff pieces are put together with fmt::format: GCC 12 at -O3 warns falsely
// (-Wrestrict, -Wstringop-overflow) on `const char* + std::string&&`, which inserts at the front
// of a temporary, and this file would otherwise be full of it.
std::string bold(const std::string& text) { return fmt::format("\\fB{}\\fR", escaped_line(text)); }
std::string italic(const std::string& text) { return fmt::format("\\fI{}\\fR", escaped_line(text)); }

// ".TP" entry of an option: the tag line, then its help with required/default notes as --help has.
std::string option_entry(const OptionSpec& option) {
  std::string tag = bold(fmt::format("--{}", option.name));
  if (!option.value_name.empty()) {
    const bool ellipsis = option.multi && !option.value_name.ends_with("...");
    tag += fmt::format(" {}", italic(fmt::format("{}{}", option.value_name, ellipsis ? "..." : "")));
  }
  std::string help = option.help;
  if (!option.choices.empty() && option.value_name != join(option.choices, "|"))
    help += fmt::format(" (one of: {})", join(option.choices));
  if (option.repeated) help += "; may be given several times";
  if (option.required) help += " (required)";
  if (!option.default_text.empty()) help += fmt::format(" [default: {}]", option.default_text);
  return fmt::format(".TP\n{}\n{}\n", tag, escaped(help));
}

std::string command_section(const CommandDoc& command) {
  std::string synopsis = bold(fmt::format("llmperforacle {}", command.name));
  for (const auto& positional : command.spec.positionals) synopsis += fmt::format(" {}", italic(positional.name));
  if (!command.spec.options.empty()) synopsis += fmt::format(" [{}]", italic("options"));
  std::string out = fmt::format(".SS {}\n{}\n.br\n{}\n", escaped_line(command.name), synopsis, escaped(command.spec.summary));
  for (const auto& positional : command.spec.positionals) {
    std::string help = positional.help;
    if (!positional.choices.empty()) help += fmt::format(" (one of: {})", join(positional.choices));
    out += fmt::format(".TP\n{}\n{}\n", italic(positional.name), escaped(help));
  }
  for (const auto& option : command.spec.options) out += option_entry(option);
  return out;
}

// From the README's quickstart: the commands a first session types.
const std::vector<std::pair<std::string, std::string>>& examples() {
  static const std::vector<std::pair<std::string, std::string>> list = {
      {"Simulate the quickstart experiment; the CSVs land in results/quickstart:",
       "llmperforacle run experiments/quickstart.yaml --out results/quickstart"},
      {"A tensor-parallel sweep, with an HTML report of it:",
       "llmperforacle run experiments/tp_sweep_llama3_70b.yaml --out results/tp --report"},
      {"Check a file with one field overridden, without running it:",
       "llmperforacle validate my.yaml --set workload.arrival.rate_per_s=8"},
      {"Does Llama-3-70B fit on four H100s, and with how much KV cache?",
       "llmperforacle memory --model Llama3-70B --gpu H100-SXM --tp 4"},
      {"The libraries:", "llmperforacle list gpus"},
      {"Completion in the current shell:", "source <(llmperforacle completion bash)"},
  };
  return list;
}

}  // namespace

std::string man_page(const std::vector<CommandDoc>& commands) {
  std::string out = ".\\\" llmperforacle(1), generated by `llmperforacle man` from the commands' declarations; do not edit.\n";
  out += fmt::format(".TH LLMPERFORACLE 1 \"\" \"llmperforacle {}\" \"User Commands\"\n", program_version());
  out += ".SH NAME\nllmperforacle \\- discrete\\-event simulator of LLM serving\n";
  out += fmt::format(".SH SYNOPSIS\n{} {} [{}]\n.br\n{} {}\n.br\n{} {} | {}\n", bold("llmperforacle"), italic("command"),
                     italic("options"), bold("llmperforacle help"), italic("command"), bold("llmperforacle"), bold("--help"),
                     bold("--version"));
  out += fmt::format(".SH DESCRIPTION\n{}\n.PP\n{}\n", escaped(program_description()),
                     escaped("Each command reads its own options (`llmperforacle COMMAND --help`, or `llmperforacle help COMMAND`); "
                             "options take their value as the next word or after '=' (--out=DIR), and options marked ... take "
                             "several values up to the next option."));
  out += ".PP\nCommands:\n";
  for (const auto& command : commands) out += fmt::format(".TP 12\n{}\n{}\n", bold(command.name), escaped(command.summary));
  out += ".SH OPTIONS\nGiven instead of a command:\n";
  for (const auto& option : global_options()) out += option_entry(option);
  out += ".SH COMMANDS\n";
  for (const auto& command : commands) out += command_section(command);
  out += fmt::format(".SH OUTPUT FORMATS\n{}\n", escaped(machine_formats_description()));
  out += ".SH EXIT STATUS\n";
  for (const auto& code : exit_code_docs()) out += fmt::format(".TP\n{}\n{}\n", bold(std::to_string(code.code)), escaped(code.meaning));
  out += fmt::format(".SH ENVIRONMENT\n.TP\n{}\n{}\n", bold("LLMPERFORACLE_HOME"),
                     escaped("The folder holding models/ and hardware/ when the binary is not installed with its data "
                             "(PREFIX/share/llmperforacle beside PREFIX/bin comes first; default: the source tree the "
                             "binary was built from)."));
  out += ".SH FILES\n";
  const std::vector<std::pair<std::string, std::string>> files = {
      {"experiments/*.yaml", "experiment files: deployments, workload, sweep, SLOs (`run`, `validate`, `capacity`, "
                             "`search`; schema in experiments/README.md; `init` writes a starter)"},
      {"models/library/*.yaml", "the model library (`list models`); a file added here is a new --model id"},
      {"hardware/gpus/*.yaml", "the GPU library (`list gpus`); a file added here is a new --gpu id"},
      {"hardware/interconnects/*.yaml", "interconnect presets (`list interconnects`)"},
      {"results/NAME/", "default output folder of `run`: summary.csv, requests.csv, timeseries.csv, manifest.json"},
  };
  for (const auto& [path, what] : files) out += fmt::format(".TP\n{}\n{}\n", italic(path), escaped(what));
  out += ".SH EXAMPLES\n";
  for (const auto& [what, command] : examples())
    out += fmt::format(".PP\n{}\n.PP\n.RS 4\n{}\n.RE\n", escaped(what), bold(command));
  out += fmt::format(".SH SEE ALSO\n{}\n.BR mpirun (1),\n.BR bash (1)\n", escaped("README.md and experiments/README.md in the source tree;"));
  return out;
}

int command_man(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle man",
              "Print the llmperforacle(1) manual page (roff). Read it with `llmperforacle man | man -l -`; the\n"
              "build writes it to build/share/man/man1/llmperforacle.1.");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  out << man_page(command_docs());
  return kExitOk;
}

}  // namespace llmpo
