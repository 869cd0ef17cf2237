// The texts generated from the commands' declarations: the man page, `help COMMAND`, the command
// list of --help, and the parser features they rest on (DeclarationCapture, choices). The bash
// completion script is exercised in a real bash by tests/cli/test_completion.sh.
#include <catch2/catch.hpp>

#include <algorithm>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <unistd.h>

#include "simulator/cli/args.hpp"
#include "simulator/cli/cli_docs.hpp"
#include "simulator/util/error.hpp"
#include "simulator/experiment_helpers.hpp"
#include "test_paths.hpp"

using namespace llmpo;
using Catch::Contains;

namespace {

using Run = test::CliRun;

Run cli(const std::vector<std::string>& args) { return test::run_cli_args(args); }

// What a piece of one-line text looks like in the page: hyphens as \-, a break point after '/'.
std::string roff(const std::string& text) {
  std::string out;
  for (const char c : text) out += c == '-' ? std::string("\\-") : c == '/' ? std::string("/\\:") : std::string(1, c);
  return out;
}

// The part of the page describing one command: from its .SS heading to the next section.
std::string section_of(const std::string& page, const std::string& command) {
  const std::string heading = ".SS " + roff(command) + "\n";
  const auto start = page.find(heading);
  if (start == std::string::npos) return "";
  const auto end = page.find("\n.S", start + heading.size());
  return page.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

bool have(const std::string& tool) { return test::run_command("command -v " + tool + " >/dev/null").exit_code == 0; }

}  // namespace

TEST_CASE("cli man/completion docs: every command declares one parser, captured without running it") {
  const std::vector<CommandDoc> docs = command_docs();
  REQUIRE(docs.size() == subcommands().size());
  for (const auto& doc : docs) {
    INFO(doc.name);
    CHECK(doc.spec.command == "llmperforacle " + doc.name);
    CHECK_FALSE(doc.spec.summary.empty());
  }
  // Under a capture parse() records and stops before any check (required options included), and
  // captures nest.
  DeclarationCapture outer;
  {
    DeclarationCapture inner;
    ArgParser p("llmperforacle demo", "demo");
    p.option("must", "X", "a required option", "", true);
    CHECK_FALSE(p.parse({}));  // no "--must is required": the capture stops parsing first
    REQUIRE(inner.captured().size() == 1);
    CHECK(inner.captured().front().options.front().name == "must");
  }
  CHECK(outer.captured().empty());  // the inner capture took it and restored the outer one
}

TEST_CASE("cli man/completion docs: choices are validated case-insensitively, listed in --help, inferred from a|b|c") {
  ArgParser p("llmperforacle demo", "demo");
  p.option("format", "table|csv|json", "output format", "table");
  p.option("mode", "MODE", "how");
  p.choices("mode", {"seed", "corrected"});
  p.positional("WHAT", "what");
  p.choices("WHAT", {"models", "gpus"});
  CHECK_THAT(p.help_text(), Contains("--format table|csv|json") && Contains("how (one of: seed, corrected)") &&
                                Contains("what (one of: models, gpus)"));
  CHECK(p.spec().options.front().choices == std::vector<std::string>{"table", "csv", "json"});

  ArgParser ok = p;
  REQUIRE(ok.parse({"GPUS", "--format=CSV", "--mode", "seed"}));
  CHECK(ok.get("format") == "csv");  // stored as declared
  CHECK(*ok.positional_value("WHAT") == "gpus");

  ArgParser bad = p;
  CHECK_THROWS_WITH(bad.parse({"--format", "jsno"}),
                    "--format: 'jsno' is not valid (valid: table, csv, json); did you mean 'json'?");
  ArgParser bad_positional = p;
  CHECK_THROWS_WITH(bad_positional.parse({"modles"}), Contains("WHAT: 'modles' is not valid (valid: models, gpus)"));
  // Placeholders are not choices.
  ArgParser names("llmperforacle demo", "demo");
  names.option("gpu", "NAME|file.yaml", "a GPU");
  CHECK(names.spec().options.front().choices.empty());
  CHECK_THROWS_AS(names.choices("nope", {"a"}), InternalError);
}

TEST_CASE("cli man/completion docs: `help COMMAND` prints exactly `COMMAND --help`, for every command") {
  for (const auto& command : subcommands()) {
    INFO(command.name);
    const Run help = cli({"help", command.name});
    const Run dashed = cli({command.name, "--help"});
    CHECK(help.code == 0);
    CHECK(help.out == dashed.out);
    CHECK_THAT(help.out, Catch::StartsWith("usage: llmperforacle " + std::string(command.name)));
  }
  CHECK(cli({"help", "run"}).out == cli({"run", "--help"}).out);
  CHECK(cli({"help", "nosuch"}).code == 2);
}

TEST_CASE("cli man/completion docs: top-level --help lists every command, completion and man included") {
  const Run run = cli({"--help"});
  CHECK(run.code == 0);
  for (const auto& command : subcommands()) CHECK_THAT(run.out, Contains("\n  " + std::string(command.name) + " "));
  CHECK_THAT(run.out, Contains("\n  completion  ") && Contains("\n  man         ") && Contains("help <command>"));
}

TEST_CASE("cli man: the page documents every command and every option of every command") {
  const Run run = cli({"man"});
  REQUIRE(run.code == 0);
  const std::string& page = run.out;
  CHECK_THAT(page, Catch::StartsWith(".\\\" llmperforacle(1)"));
  for (const char* section : {".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH COMMANDS", ".SH EXIT STATUS",
                              ".SH FILES", ".SH EXAMPLES", ".SH SEE ALSO"})
    CHECK_THAT(page, Contains(std::string("\n") + section + "\n"));
  for (const auto& doc : command_docs()) {
    INFO(doc.name);
    const std::string section = section_of(page, doc.name);
    REQUIRE_FALSE(section.empty());
    for (const auto& option : doc.spec.options) {
      INFO(option.name);
      CHECK_THAT(section, Contains(".TP\n\\fB\\-\\-" + roff(option.name) + "\\fR"));
      if (option.help.find('\n') == std::string::npos) CHECK_THAT(section, Contains(roff(option.help)));
      if (!option.default_text.empty()) CHECK_THAT(section, Contains("[default: " + roff(option.default_text) + "]"));
    }
    for (const auto& positional : doc.spec.positionals) CHECK_THAT(section, Contains("\\fI" + roff(positional.name) + "\\fR"));
  }
  // Hand-picked facts, independent of the capture.
  CHECK_THAT(section_of(page, "run"), Contains("\\fB\\-\\-resume\\fR\nkeep the runs an interrupted command saved"));
  CHECK_THAT(section_of(page, "bench"),
             Contains("\\fB\\-\\-check\\-oom\\fR\nreport the highest concurrency whose KV cache fits and skip the levels above it"));
  CHECK_THAT(section_of(page, "memory"), Contains("\\fB\\-\\-model\\fR \\fINAME|config.json\\fR") && Contains("(required)"));
  for (const char* command : {"completion", "man", "version", "report", "search"})
    CHECK_FALSE(section_of(page, command).empty());
  for (const char* code : {"0", "1", "2", "130"}) CHECK_THAT(page, Contains(std::string(".TP\n\\fB") + code + "\\fR\n"));
  CHECK_THAT(page, Contains("interrupted (Ctrl\\-C; finished runs are kept for `run \\-\\-resume`)"));
  CHECK_THAT(page, Contains("models/\\:library") && Contains("hardware/\\:gpus"));
  CHECK_THAT(page, Contains("llmperforacle run experiments/\\:quickstart.yaml"));
  // What --format csv|json print, for every command at once.
  CHECK_THAT(page, Contains(".SH OUTPUT FORMATS\nCommands whose output is a table") &&
                       Contains("full precision with no thousands separators") && Contains(roff("true/false")));
}

TEST_CASE("cli man: roff specials are escaped and groff/man read the page without a warning") {
  const std::string page = cli({"man"}).out;
  std::istringstream lines(page);
  std::string line;
  int number = 0;
  const std::regex request(R"(^\.(\\"|TH|SH|SS|TP|PP|RS|RE|br|BR)( |$))");
  while (std::getline(lines, line)) {
    ++number;
    INFO("line " << number << ": " << line);
    if (!line.empty() && (line[0] == '.' || line[0] == '\'')) CHECK(std::regex_search(line, request));
    if (line.rfind(".\\\"", 0) == 0) continue;  // the comment
    CHECK_FALSE(std::regex_search(line, std::regex(R"((^|[^\\])-)")));  // every hyphen is \-
    CHECK(std::all_of(line.begin(), line.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }));
  }

  // Per process: other build folders may run this test at the same time.
  const auto path = std::filesystem::temp_directory_path() / ("llmpo_test_" + std::to_string(::getpid()) + ".1");
  std::ofstream(path) << page;
  if (have("groff")) {
    const auto groff = test::run_command("groff -man -Tutf8 -ww -z " + path.string());
    CHECK(groff.exit_code == 0);
    CHECK(groff.output.empty());
  } else {
    WARN("groff not installed: roff check skipped");
  }
  if (have("man")) {
    // troff's warnings on stderr are the output; the page itself goes to /dev/null.
    const auto man = test::run_command("(MANWIDTH=80 man -l " + path.string() + " 2>&1 >/dev/null)");
    CHECK(man.exit_code == 0);
    CHECK(man.output.empty());
  } else {
    WARN("man not installed: man -l check skipped");
  }
  std::filesystem::remove(path);
}

TEST_CASE("cli man: the build's share/ holds the page and the completion script this binary generates") {
  const std::filesystem::path share = std::filesystem::path(test::binary_path()).parent_path().parent_path() / "share";
  const auto read = [](const std::filesystem::path& file) {
    std::ifstream in(file);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  CHECK(read(share / "man/man1/llmperforacle.1") == cli({"man"}).out);
  const std::string script = read(share / "bash-completion/completions/llmperforacle");
  CHECK(script == cli({"completion", "bash"}).out);
  CHECK_THAT(script, Contains("complete -F _llmperforacle llmperforacle"));
}

TEST_CASE("cli completion: the script lists each command's options, and --ids prints library ids") {
  const Run script = cli({"completion", "bash"});
  REQUIRE(script.code == 0);
  for (const auto& doc : command_docs()) {
    // The line `'run') REPLY='--set --allow-large ... --help' ;;` of _llmperforacle_options.
    const std::string head = "    '" + doc.name + "') REPLY='";
    const auto start = script.out.find(head);
    REQUIRE(start != std::string::npos);
    const std::string options = " " + script.out.substr(start + head.size(), script.out.find('\'', start + head.size()) - start - head.size()) + " ";
    for (const auto& option : doc.spec.options) CHECK_THAT(options, Contains(" --" + option.name + " "));
    CHECK_THAT(options, Contains(" --help "));
  }
  CHECK_THAT(script.out, Contains("--check-oom"));
  CHECK_THAT(script.out, Contains("'compare --format') REPLY='1 words table csv json'"));
  CHECK_THAT(script.out, Contains("'memory --gpu') REPLY='1 ids gpus'"));
  CHECK_THAT(script.out, Contains("'run 0') REPLY='yaml'"));
  const Run gpus = cli({"completion", "--ids", "gpus"});
  CHECK(gpus.code == 0);
  CHECK_THAT(gpus.out, Contains("\nH100-SXM\n"));
  CHECK(cli({"completion"}).code == 2);
  CHECK_THAT(cli({"completion", "zsh"}).err, Contains("'zsh' is not valid (valid: bash)"));
}
