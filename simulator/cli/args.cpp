#include "args.hpp"

#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "cli_docs.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

namespace {

// The capture of this thread (see DeclarationCapture); thread_local so that a command running
// in a worker thread never sees a capture another thread set up.
thread_local DeclarationCapture* active_capture = nullptr;

// "table|csv|json" -> {table, csv, json}; value names such as "NAME|file.yaml" or "N" are
// placeholders, not choices, and give {}. Lower-case words only, so placeholders stay apart.
std::vector<std::string> choices_in(const std::string& value_name) {
  if (value_name.find('|') == std::string::npos) return {};
  std::vector<std::string> words(1);
  for (const char c : value_name) {
    if (c == '|') {
      if (words.back().empty()) return {};
      words.emplace_back();
    } else if (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_' ||
               c == '-') {
      words.back() += c;
    } else {
      return {};
    }
  }
  return words.back().empty() ? std::vector<std::string>{} : words;
}

// " (one of: a, b, c)" unless the value name already spells the choices out.
std::string choices_note(const std::string& value_name, const std::vector<std::string>& choices) {
  if (choices.empty() || value_name == join(choices, "|")) return "";
  return " (one of: " + join(choices) + ")";
}

}  // namespace

DeclarationCapture::DeclarationCapture() : previous_(active_capture) { active_capture = this; }

DeclarationCapture::~DeclarationCapture() { active_capture = previous_; }

ArgParser::ArgParser(std::string command, std::string summary)
    : command_(std::move(command)), summary_(std::move(summary)) {}

ArgParser& ArgParser::option(const std::string& name, const std::string& value_name, const std::string& help,
                             const std::string& default_text, bool required) {
  specs_.push_back({name, value_name, help, default_text, required, false, false, choices_in(value_name)});
  return *this;
}

ArgParser& ArgParser::flag(const std::string& name, const std::string& help) {
  specs_.push_back({name, "", help, "", false, false, false, {}});
  return *this;
}

ArgParser& ArgParser::multi(const std::string& name, const std::string& value_name, const std::string& help) {
  specs_.push_back({name, value_name, help, "", false, true, false, choices_in(value_name)});
  return *this;
}

ArgParser& ArgParser::repeated(const std::string& name, const std::string& value_name, const std::string& help) {
  specs_.push_back({name, value_name, help, "", false, false, true, choices_in(value_name)});
  return *this;
}

ArgParser& ArgParser::positional(const std::string& name, const std::string& help) {
  positional_specs_.push_back({name, help, {}});
  return *this;
}

ArgParser& ArgParser::choices(const std::string& name, std::vector<std::string> values) {
  for (auto& spec : specs_)
    if (spec.name == name && !spec.value_name.empty()) {
      spec.choices = std::move(values);
      return *this;
    }
  for (auto& spec : positional_specs_)
    if (spec.name == name) {
      spec.choices = std::move(values);
      return *this;
    }
  // A declaration bug, not user input: every --help would show it at once.
  throw InternalError(command_ + ": choices() for '" + name + "', which is not a declared option with a value");
}

ArgParser& ArgParser::alias(const std::string& name, const std::string& spelling) {
  const bool dashed = spelling.size() >= 2 && spelling[0] == '-' && spelling != "--" && spelling != "-h" && spelling != "--help";
  const bool taken = aliases_.count(spelling) > 0 || (spelling.starts_with("--") && find_spec(spelling.substr(2)) != nullptr);
  if (find_spec(name) == nullptr || !dashed || taken)
    throw InternalError(command_ + ": alias '" + spelling + "' of '--" + name + "' is malformed, taken or of no option");
  aliases_[spelling] = name;
  return *this;
}

const OptionSpec* ArgParser::find_spec(const std::string& name) const {
  for (const auto& spec : specs_)
    if (spec.name == name) return &spec;
  return nullptr;
}

std::string ArgParser::checked_choice(const std::string& what, const std::vector<std::string>& choices,
                                      const std::string& value) const {
  for (const auto& choice : choices)
    if (choice == value) return choice;
  for (const auto& choice : choices)
    if (iequals(choice, value)) return choice;
  std::string message = "'" + value + "' is not valid (valid: " + join(choices) + ")";
  const std::string hint = did_you_mean(value, choices);
  if (!hint.empty()) message += "; " + hint;
  throw InputError({}, what, message);
}

CommandSpec ArgParser::spec() const {
  std::vector<OptionSpec> specs = specs_;
  for (auto& spec : specs) {
    std::vector<std::string> spellings;
    for (const auto& [spelling, name] : aliases_)
      if (name == spec.name) spellings.push_back(spelling);
    if (!spellings.empty()) spec.help += " (also " + join(spellings) + ")";
  }
  return {command_, summary_, std::move(specs), positional_specs_};
}

bool ArgParser::parse(const std::vector<std::string>& args) {
  if (active_capture != nullptr) {
    active_capture->captured_.push_back(spec());
    return false;
  }
  std::size_t next_positional = 0;
  bool options_ended = false;  // after "--" every word is positional, as in getopt
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (!options_ended && (arg == "--help" || arg == "-h")) return false;
    if (!options_ended && arg == "--") {
      options_ended = true;
      continue;
    }
    if (!options_ended) {
      // An alias, alone or as --alias=value, becomes the option's own name.
      const auto eq = arg.find('=');
      const auto alias = aliases_.find(arg.substr(0, eq));
      if (alias != aliases_.end() && (eq == std::string::npos || arg.starts_with("--")))
        arg = "--" + alias->second + (eq == std::string::npos ? "" : arg.substr(eq));
    }
    if (options_ended || arg.rfind("--", 0) != 0) {
      if (next_positional >= positional_specs_.size())
        throw InputError({}, command_, "unexpected argument '" + arg + "' (see `" + command_ + " --help`)");
      const PositionalSpec& positional = positional_specs_[next_positional++];
      positional_values_[positional.name] =
          positional.choices.empty() ? arg : checked_choice(positional.name, positional.choices, arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const OptionSpec* spec = find_spec(name);
    if (spec == nullptr) {
      std::vector<std::string> names;
      for (const auto& s : specs_) names.push_back("--" + s.name);
      std::string message = "unknown option '--" + name + "'";
      const std::string hint = did_you_mean("--" + name, names);
      message += hint.empty() ? " (valid: " + join(names) + ")" : "; " + hint;
      if (is_global_logging_option("--" + name)) {
        // The global logging options (run_cli.cpp) come before the command.
        const auto space = command_.find(' ');
        message += "; --" + name + " for diagnostics goes before the command: `" + command_.substr(0, space) + " --" +
                   name + (space == std::string::npos ? "" : command_.substr(space)) + " ...`";
      }
      throw InputError({}, command_, message);
    }
    auto& slot = values_[name];
    if (spec->value_name.empty()) {
      if (inline_value) throw InputError({}, "--" + name, "is a flag and takes no value");
      slot.push_back("true");
      continue;
    }
    const auto accepted = [&](const std::string& value) {
      return spec->choices.empty() ? value : checked_choice("--" + name, spec->choices, value);
    };
    if (inline_value) {
      slot.push_back(accepted(*inline_value));
      continue;
    }
    const std::size_t before = slot.size();
    // Values run up to the next option or "--"; a word that is an alias is an option too.
    while (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0 && aliases_.count(args[i + 1]) == 0) {
      slot.push_back(accepted(args[++i]));
      if (!spec->multi) break;
    }
    if (slot.size() == before) throw InputError({}, "--" + name, "needs a value <" + spec->value_name + ">");
    if (!spec->multi && !spec->repeated && slot.size() > 1) throw InputError({}, "--" + name, "given more than once");
  }
  for (const auto& spec : specs_)
    if (spec.required && !has(spec.name))
      throw InputError({}, "--" + spec.name, "is required (see `" + command_ + " --help`)");
  return true;
}

bool ArgParser::has(const std::string& name) const { return values_.count(name) > 0; }

std::string ArgParser::get(const std::string& name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) throw InputError({}, "--" + name, "is required");
  return it->second.front();
}

std::string ArgParser::get_or(const std::string& name, const std::string& fallback) const {
  return has(name) ? get(name) : fallback;
}

std::vector<std::string> ArgParser::get_all(const std::string& name) const {
  const auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

int64_t ArgParser::get_int(const std::string& name, int64_t fallback, int64_t min, int64_t max) const {
  if (!has(name)) return fallback;
  const std::string text = get(name);
  std::size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty())
    throw InputError({}, "--" + name, "expected an integer, got '" + text + "'");
  if (value < min || value > max)
    throw InputError({}, "--" + name, fmt::format("{} is out of range (must be {} to {})", value, min, max));
  return value;
}

double ArgParser::get_double(const std::string& name, double fallback, double min, double max) const {
  if (!has(name)) return fallback;
  const std::string text = get(name);
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || !std::isfinite(value))
    throw InputError({}, "--" + name, "expected a number, got '" + text + "'");
  if (value < min || value > max)
    throw InputError({}, "--" + name, fmt::format("{} is out of range (must be {} to {})", value, min, max));
  return value;
}

std::optional<std::string> ArgParser::positional_value(const std::string& name) const {
  const auto it = positional_values_.find(name);
  if (it == positional_values_.end()) return std::nullopt;
  return it->second;
}

std::string ArgParser::help_text() const {
  std::string out = "usage: " + command_;
  for (const auto& positional : positional_specs_) out += " " + positional.name;
  out += " [options]\n\n" + summary_ + "\n";
  if (!positional_specs_.empty()) {
    out += "\narguments:\n";
    for (const auto& positional : positional_specs_)
      out += fmt::format("  {:<28} {}{}\n", positional.name, positional.help, choices_note("", positional.choices));
  }
  out += "\noptions:\n";
  const CommandSpec documented = spec();  // the options with their aliases in their help
  for (const auto& spec : documented.options) {
    std::string left = "--" + spec.name;
    if (!spec.value_name.empty()) left += " " + spec.value_name + (spec.multi && !spec.value_name.ends_with("...") ? "..." : "");
    if (spec.repeated) left += " (repeatable)";
    std::string help = spec.help + choices_note(spec.value_name, spec.choices);
    if (spec.required) help += " (required)";
    if (!spec.default_text.empty()) help += " [default: " + spec.default_text + "]";
    out += fmt::format("  {:<28} {}\n", left, help);
  }
  out += fmt::format("  {:<28} {}\n", "--help", "show this help");
  return out;
}

}  // namespace llmpo
