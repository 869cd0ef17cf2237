// `llmperforacle completion bash`: a bash completion script generated from the commands'
// ArgParser declarations (cli_docs.hpp), so a new option completes without editing the script.
// Library ids (--model, --gpu, ...) are not embedded: the script asks the binary being completed
// (`completion --ids models`, about 20 ms), so model and GPU files added later complete too.
#include <map>

#include <fmt/format.h>

#include "cli_docs.hpp"
#include "hardware/gpu_library.hpp"
#include "hardware/interconnect.hpp"
#include "models/model_library.hpp"
#include "models/quantization.hpp"
#include "simulator/util/error.hpp"
#include "simulator/util/text.hpp"

namespace llmpo {

namespace {

// Library-valued options, by name: every command spells them the same way, and they also accept
// a file, which the script falls back to when no id matches.
const std::map<std::string, std::string>& library_options() {
  static const std::map<std::string, std::string> options = {
      {"model", "models"}, {"gpu", "gpus"}, {"interconnect", "interconnects"}, {"inter-node", "interconnects"}};
  return options;
}

std::vector<std::string> library_ids(const std::string& library) {
  // Each library is held in a local: ranging over load_default().models() would read a
  // destroyed temporary.
  std::vector<std::string> ids;
  if (library == "models") {
    const ModelLibrary models = ModelLibrary::load_default();
    for (const auto& model : models.models()) ids.push_back(model.id);
  }
  if (library == "gpus") {
    const GpuLibrary gpus = GpuLibrary::load_default();
    for (const auto& gpu : gpus.gpus()) ids.push_back(gpu.id);
  }
  if (library == "interconnects") {
    const InterconnectLibrary interconnects = InterconnectLibrary::load_default();
    for (const auto& preset : interconnects.presets()) ids.push_back(preset.id);
  }
  if (library == "quantizations")
    for (const auto& scheme : quantization_schemes()) ids.push_back(scheme.name);
  return ids;
}

// How the script completes a value: "words W1 W2 ...", "ids LIBRARY", "dir", "file", "yaml"
// (experiment files and folders) or "none" (numbers, KEY=VALUE, lists).
std::string option_value_kind(const OptionSpec& option) {
  if (!option.choices.empty()) return "words " + join(option.choices, " ");
  // Compiled-in sets, embedded in the script: they cannot change without a new binary.
  if (option.name == "quantization") return "words " + join(library_ids("quantizations"), " ");
  if (option.name == "kv-cache-dtype") return "words " + join(kv_cache_dtypes(), " ");
  if (const auto it = library_options().find(option.name); it != library_options().end()) return "ids " + it->second;
  const std::string& value = option.value_name;
  if (value.find("DIR") != std::string::npos) return "dir";
  if (value == "FILE" || value == "PATH" || value == "CSV" || value.find(".yaml") != std::string::npos ||
      value.find(".json") != std::string::npos)
    return "file";
  return "none";
}

std::string positional_value_kind(const PositionalSpec& positional) {
  if (!positional.choices.empty()) return "words " + join(positional.choices, " ");
  if (positional.name.find("DIR") != std::string::npos) return "dir";
  if (positional.help.find("YAML") != std::string::npos) return "yaml";
  return "file";
}

// A single-quoted bash word; the texts here are option names and ids, but stay safe regardless.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The fixed part: walks the words typed so far the way ArgParser::parse reads them (a multi
// option takes every following word up to the next --option; --opt=value takes one), then
// completes an option name, an option value or the next positional.
constexpr const char* kDriver = R"BASH(
# Completes one value of kind $1 (see _llmperforacle_option) for the word $cur.
_llmperforacle_value() {
  local kind=$1
  shift
  case $kind in
    words) mapfile -t COMPREPLY < <(compgen -W "$*" -- "$cur") ;;
    ids)
      local bin=${COMP_WORDS[0]/#\~/$HOME}
      mapfile -t COMPREPLY < <(compgen -W "$("$bin" completion --ids "$1" 2>/dev/null)" -- "$cur")
      ((${#COMPREPLY[@]})) || _llmperforacle_value file ;;
    dir)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    file)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    yaml)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -d -- "$cur"; compgen -f -X '!*.yaml' -- "$cur"; compgen -f -X '!*.yml' -- "$cur") ;;
  esac
  return 0
}

_llmperforacle() {
  local cur=${COMP_WORDS[COMP_CWORD]} first=1 REPLY word opt='' pending=0 npos=0 i cmd
  local -a spec
  COMPREPLY=()
  # Global options (--verbose, --quiet) come before the command.
  while ((first < COMP_CWORD)) && [[ " --verbose -v --quiet -q " == *" ${COMP_WORDS[first]} "* ]]; do ((first++)); done
  cmd=${COMP_WORDS[first]}
  if ((COMP_CWORD == first)); then
    mapfile -t COMPREPLY < <(compgen -W "$_llmperforacle_commands help --help --version --verbose --quiet" -- "$cur")
    return 0
  fi
  if [[ $cmd == help ]]; then
    ((COMP_CWORD == first + 1)) && mapfile -t COMPREPLY < <(compgen -W "$_llmperforacle_commands" -- "$cur")
    return 0
  fi
  _llmperforacle_options "$cmd" || return 0
  local options=$REPLY
  # pending: what the next word is for: 0 a positional, 1 one option value, m option values until
  # the next --option, = the value after --opt= (COMP_WORDBREAKS splits "--opt=v" into 3 words).
  for ((i = first + 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if [[ $word == = ]]; then
      pending='='
    elif [[ $word == --?* && $word != *=* ]]; then
      opt=$word
      _llmperforacle_option "$cmd" "$opt"
      read -r pending _ <<<"$REPLY"
    elif [[ $word == --?* ]]; then
      pending=0
    elif [[ $pending == 1 || $pending == = ]]; then
      pending=0
    elif [[ $pending != m ]]; then
      ((npos++))
    fi
  done
  if [[ $cur == --?*=* ]]; then
    # "--opt=v" as one word (no '=' in COMP_WORDBREAKS): complete v, keep the prefix.
    _llmperforacle_option "$cmd" "${cur%%=*}"
    read -ra spec <<<"$REPLY"
    local prefix=${cur%%=*}=
    cur=${cur#*=}
    _llmperforacle_value "${spec[@]:1}"
    COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
    return 0
  fi
  if [[ $cur == = ]]; then
    opt=${COMP_WORDS[COMP_CWORD - 1]}
    cur=''
    pending='='
  fi
  if [[ $pending != = && $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
  elif [[ $pending != 0 ]]; then
    _llmperforacle_option "$cmd" "$opt"
    read -ra spec <<<"$REPLY"
    _llmperforacle_value "${spec[@]:1}"
  else
    _llmperforacle_positional "$cmd" "$npos"
    read -ra spec <<<"$REPLY"
    _llmperforacle_value "${spec[@]}"
  fi
  return 0
}

complete -F _llmperforacle llmperforacle
)BASH";

}  // namespace

std::string bash_completion_script(const std::vector<CommandDoc>& commands) {
  std::string names, options_arms, option_arms, positional_arms;
  for (const auto& command : commands) {
    names += (names.empty() ? "" : " ") + command.name;
    std::vector<std::string> flags;
    for (const auto& option : command.spec.options) {
      flags.push_back("--" + option.name);
      if (option.value_name.empty()) continue;  // flags fall to the "0 none" default arm
      const std::string arity = option.multi ? "m" : "1";
      option_arms += fmt::format("    {}) REPLY={} ;;\n", quoted(command.name + " --" + option.name),
                                 quoted(arity + " " + option_value_kind(option)));
    }
    flags.push_back("--help");
    options_arms += fmt::format("    {}) REPLY={} ;;\n", quoted(command.name), quoted(join(flags, " ")));
    for (std::size_t i = 0; i < command.spec.positionals.size(); ++i)
      positional_arms += fmt::format("    {}) REPLY={} ;;\n", quoted(command.name + " " + std::to_string(i)),
                                     quoted(positional_value_kind(command.spec.positionals[i])));
  }
  std::string out =
      "# bash completion for llmperforacle, generated by `llmperforacle completion bash` from the commands'\n"
      "# declarations (do not edit; regenerate). Load it with: source <(llmperforacle completion bash)\n\n"
      "_llmperforacle_commands=" + quoted(names) + "\n\n"
      "# The options of command $1 (status 1: not a command).\n"
      "_llmperforacle_options() {\n  case $1 in\n" + options_arms +
      "    *) return 1 ;;\n  esac\n}\n\n"
      "# Option $2 of command $1: its arity (0 flag, 1 value, m values) and how a value completes.\n"
      "_llmperforacle_option() {\n  case \"$1 $2\" in\n" + option_arms +
      "    *) REPLY='0 none' ;;\n  esac\n}\n\n"
      "# How positional argument $2 (from 0) of command $1 completes.\n"
      "_llmperforacle_positional() {\n  case \"$1 $2\" in\n" + positional_arms +
      "    *) REPLY='none' ;;\n  esac\n}\n";
  return out + kDriver;
}

int command_completion(const Args& args, std::ostream& out) {
  ArgParser p("llmperforacle completion",
              "Print a shell completion script: subcommands, their options, and option values (model and GPU\n"
              "ids from the libraries, formats, frameworks, files). Load it in the current shell with\n"
              "`source <(llmperforacle completion bash)`, or install it as\n"
              "/usr/share/bash-completion/completions/llmperforacle (the build writes it to\n"
              "build/share/bash-completion/completions/llmperforacle).");
  p.positional("SHELL", "the shell to complete for");
  p.choices("SHELL", {"bash"});
  p.option("ids", "models|gpus|interconnects|quantizations",
           "instead, print the ids of a library one per line (what the script runs to complete --model, --gpu, ...)");
  if (!p.parse(args)) {
    out << p.help_text();
    return kExitOk;
  }
  if (p.has("ids")) {
    for (const auto& id : library_ids(p.get("ids"))) out << id << "\n";
    return kExitOk;
  }
  if (!p.positional_value("SHELL")) throw InputError({}, "SHELL", "name the shell: `llmperforacle completion bash`");
  out << bash_completion_script(command_docs());
  return kExitOk;
}

}  // namespace llmpo
