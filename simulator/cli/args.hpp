#pragma once
// A small command-line parser: --name value, --name=value, boolean flags, and options taking
// several values (--concurrency 1 2 4). Unknown options are errors with a did-you-mean; numbers
// are range-checked; --help text is generated from the same declarations.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace llmpo {

class ArgParser {
 public:
  ArgParser(std::string command, std::string summary);

  // value_name "" declares a flag. default_text is shown in --help only; the caller applies the
  // default so that it is visible in the code that uses it.
  ArgParser& option(const std::string& name, const std::string& value_name, const std::string& help,
                    const std::string& default_text = "", bool required = false);
  ArgParser& flag(const std::string& name, const std::string& help);
  ArgParser& multi(const std::string& name, const std::string& value_name, const std::string& help);
  // May be given several times, one value each (--set a=1 --set b=2).
  ArgParser& repeated(const std::string& name, const std::string& value_name, const std::string& help);
  ArgParser& positional(const std::string& name, const std::string& help);

  // Throws InputError for unknown options, missing values or missing required options.
  // Returns false when --help was asked for: the caller prints help_text() and stops.
  bool parse(const std::vector<std::string>& args);

  bool has(const std::string& name) const;
  std::string get(const std::string& name) const;  // required or throws
  std::string get_or(const std::string& name, const std::string& fallback) const;
  std::vector<std::string> get_all(const std::string& name) const;
  int64_t get_int(const std::string& name, int64_t fallback, int64_t min, int64_t max) const;
  double get_double(const std::string& name, double fallback, double min, double max) const;
  std::optional<std::string> positional_value(const std::string& name) const;

  std::string help_text() const;

 private:
  struct Spec {
    std::string name;
    std::string value_name;
    std::string help;
    std::string default_text;
    bool required = false;
    bool multi = false;
    bool repeated = false;
  };
  const Spec* find_spec(const std::string& name) const;
  std::string command_;
  std::string summary_;
  std::vector<Spec> specs_;
  std::vector<std::pair<std::string, std::string>> positional_specs_;
  std::map<std::string, std::vector<std::string>> values_;
  std::map<std::string, std::string> positional_values_;
};

}  // namespace llmpo
