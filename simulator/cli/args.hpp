#pragma once
// A small command-line parser: --name value, --name=value, boolean flags, options taking
// several values (--concurrency 1 2 4), aliases (-tp for --tp), and "--" ending the options (what
// follows is positional). Unknown options are errors with a did-you-mean; numbers
// are range-checked; --help text is generated from the same declarations, and so are the man
// page and the shell completion (through DeclarationCapture), so that an option declared once
// is documented and completed everywhere.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace llmpo {

struct OptionSpec {
  std::string name;        // without the leading "--"
  std::string value_name;  // "" for a flag
  std::string help;
  std::string default_text;
  bool required = false;
  bool multi = false;
  bool repeated = false;
  std::vector<std::string> choices;  // the complete set of accepted values; empty = any
};

struct PositionalSpec {
  std::string name;
  std::string help;
  std::vector<std::string> choices;
};

// Everything one command declares: what --help, the man page and the completion script show.
struct CommandSpec {
  std::string command;  // "llmperforacle run"
  std::string summary;
  std::vector<OptionSpec> options;
  std::vector<PositionalSpec> positionals;
};

class ArgParser {
 public:
  ArgParser(std::string command, std::string summary);

  // value_name "" declares a flag. default_text is shown in --help only; the caller applies the
  // default so that it is visible in the code that uses it. A value_name listing lower-case
  // alternatives ("table|csv|json") also declares them as the option's choices.
  ArgParser& option(const std::string& name, const std::string& value_name, const std::string& help,
                    const std::string& default_text = "", bool required = false);
  ArgParser& flag(const std::string& name, const std::string& help);
  ArgParser& multi(const std::string& name, const std::string& value_name, const std::string& help);
  // May be given several times, one value each (--set a=1 --set b=2).
  ArgParser& repeated(const std::string& name, const std::string& value_name, const std::string& help);
  ArgParser& positional(const std::string& name, const std::string& help);
  // Restricts an option or positional declared before to these values: parse() rejects others
  // (case-insensitively, storing the declared spelling), --help lists them, completion offers them.
  ArgParser& choices(const std::string& name, std::vector<std::string> values);
  // Another spelling of a declared option, as another tool spells it ("--tensor-parallel-size"
  // or vLLM's "-tp" for --tp): parsed as the option itself, and named in its help text, so
  // that --help, the man page and errors agree. A single-dash alias takes its value after a
  // space only.
  ArgParser& alias(const std::string& name, const std::string& spelling);

  // Throws InputError for unknown options, missing values, values outside their choices or
  // missing required options. Returns false when --help was asked for (or a DeclarationCapture
  // is active): the caller prints help_text() and stops.
  bool parse(const std::vector<std::string>& args);

  bool has(const std::string& name) const;
  std::string get(const std::string& name) const;  // required or throws
  std::string get_or(const std::string& name, const std::string& fallback) const;
  std::vector<std::string> get_all(const std::string& name) const;
  int64_t get_int(const std::string& name, int64_t fallback, int64_t min, int64_t max) const;
  double get_double(const std::string& name, double fallback, double min, double max) const;
  std::optional<std::string> positional_value(const std::string& name) const;

  std::string help_text() const;
  CommandSpec spec() const;

 private:
  const OptionSpec* find_spec(const std::string& name) const;
  std::string checked_choice(const std::string& what, const std::vector<std::string>& choices,
                             const std::string& value) const;
  std::string command_;
  std::string summary_;
  std::vector<OptionSpec> specs_;
  std::vector<PositionalSpec> positional_specs_;
  std::map<std::string, std::string> aliases_;  // spelling as typed ("-tp") -> option name ("tp")
  std::map<std::string, std::vector<std::string>> values_;
  std::map<std::string, std::string> positional_values_;
};

// While one is alive on this thread, every ArgParser::parse() records its parser's declarations
// here and returns false as for --help, so calling a subcommand with {"--help"} yields what it
// declares without running it (and without a second, hand-kept list of its options). Nests: the
// previous capture is restored on destruction.
class DeclarationCapture {
 public:
  DeclarationCapture();
  ~DeclarationCapture();
  DeclarationCapture(const DeclarationCapture&) = delete;
  DeclarationCapture& operator=(const DeclarationCapture&) = delete;

  const std::vector<CommandSpec>& captured() const { return captured_; }

 private:
  friend class ArgParser;
  std::vector<CommandSpec> captured_;
  DeclarationCapture* previous_;
};

}  // namespace llmpo
