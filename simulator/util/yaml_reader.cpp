#include "yaml_reader.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

#include "input_limits.hpp"
#include "text.hpp"
#include "text_file.hpp"
#include "yaml_comments.hpp"
#include "yaml_single_pass.hpp"

namespace llmpo {

namespace {

using PendingNodes = std::vector<std::pair<YAML::Node, std::string>>;  // (node, key path)

// Checks one mapping's keys and lists its values in `children`.
void check_mapping(const YAML::Node& node, const std::string& path, const std::string& file, PendingNodes& children) {
  std::map<std::string, int> first_line;  // key -> line of its first appearance
  for (const auto& entry : node) {
    if (!entry.first.IsScalar())
      throw InputError(position_of(entry.first, file), path.empty() ? "(top level)" : path,
                       "a key must be a plain name, not a list or a mapping");
    const std::string& key = entry.first.Scalar();
    const std::string key_path = path.empty() ? key : path + "." + key;
    const SourcePos pos = position_of(entry.first, file);
    // yaml-cpp keeps `<<` as an ordinary key, so a merge read as a key nobody knows and the
    // merged keys as missing: say what it is instead.
    if (key == "<<")
      throw InputError(pos, key_path, "YAML merge keys (<<) are not supported; write the keys out in full");
    const auto [seen, inserted] = first_line.emplace(key, pos.line);
    if (!inserted)
      throw InputError(pos, key_path,
                       fmt::format("this key appears twice in the same mapping (first on line {}); keep one", seen->second));
    children.emplace_back(entry.second, key_path);
  }
}

// yaml-cpp keeps one value of a key written twice in a mapping and accepts keys that are lists or
// mappings; neither is ever what the author meant in our files, so both are input errors, shown
// at the offending key. Iterative: a deeply nested document must not overflow the stack. Each
// list or mapping is walked once, known by where it starts in the text: an alias (*a) repeats
// its anchor's node, and nested aliases would otherwise be walked exponentially many times.
void check_keys(const YAML::Node& root, const std::string& file) {
  PendingNodes pending{{root, ""}};
  std::set<int> walked;  // text offsets of the lists and mappings already checked
  while (!pending.empty()) {
    const auto [node, path] = pending.back();
    pending.pop_back();
    if (!node.IsSequence() && !node.IsMap()) continue;
    if (node.Mark().pos >= 0 && !walked.insert(node.Mark().pos).second) continue;
    PendingNodes children;
    if (node.IsMap()) check_mapping(node, path, file, children);
    else
      for (std::size_t i = 0; i < node.size(); ++i) children.emplace_back(node[i], fmt::format("{}[{}]", path, i));
    // Queued last first, so they are checked in the order of the text: an error inside an
    // anchored node is shown at its anchor, not at a later alias. (Copies, never std::reverse:
    // assigning a YAML::Node writes into the node it refers to.)
    for (auto child = children.rbegin(); child != children.rend(); ++child) pending.push_back(*child);
  }
}

SourcePos position_of(const YAML::Mark& mark, const std::string& file);

// Where each document of a YAML stream starts (its first token, `---` included) and where its
// content starts (its first node), from the parser's events alone; and, while the events go by,
// the shape limits of input_limits.hpp, before yaml-cpp builds (and anyone copies) a tree:
// nesting depth, the node count with every alias expanded, no alias inside its own anchor (a
// cycle, which recursive copies followed until the stack overflowed), and, where aliases are not
// allowed at all (--set values), none.
class DocumentScan : public YAML::EventHandler {
 public:
  DocumentScan(std::string file, bool allow_aliases) : file_(std::move(file)), allow_aliases_(allow_aliases) {}
  std::vector<YAML::Mark> starts, contents;
  void OnDocumentStart(const YAML::Mark& mark) override {
    starts.push_back(mark);
    contents.push_back(mark);
    awaiting_content_ = true;
    expanded_size_.clear();  // anchors are per document
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    content_at(mark);
    if (!allow_aliases_) refuse_alias(mark);
    for (const Open& open : open_)
      if (open.anchor == anchor && anchor != YAML::NullAnchor)
        throw InputError(position_of(mark, file_), "",
                         "this alias (*) refers to the anchor (&) of a list or mapping that contains it: "
                         "a cycle, which has no value");
    const auto size = expanded_size_.find(anchor);
    add(mark, size == expanded_size_.end() ? 1 : size->second);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string&) override {
    leaf(mark, anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    YAML::anchor_t anchor;
    int64_t nodes;  // this collection's nodes so far, aliases expanded
  };
  void content_at(const YAML::Mark& mark) {
    if (awaiting_content_) contents.back() = mark;
    awaiting_content_ = false;
  }
  void refuse_alias(const YAML::Mark& mark) const {
    throw InputError(position_of(mark, file_), "",
                     "anchors and aliases (&name, *name) are not allowed here; write the value out");
  }
  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    content_at(mark);
    if (anchor != YAML::NullAnchor && !allow_aliases_) refuse_alias(mark);
    add(mark, 1);
    if (anchor != YAML::NullAnchor) expanded_size_[anchor] = 1;
  }
  void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    content_at(mark);
    if (anchor != YAML::NullAnchor && !allow_aliases_) refuse_alias(mark);
    if (static_cast<int>(open_.size()) >= kMaxYamlNesting)
      throw InputError(position_of(mark, file_), "",
                       fmt::format("nested too deep: more than {} levels of lists and mappings", kMaxYamlNesting));
    open_.push_back({anchor, 0});
    add(mark, 1);
  }
  void close() {
    if (open_.empty()) return;
    const Open done = open_.back();
    open_.pop_back();
    if (done.anchor != YAML::NullAnchor) expanded_size_[done.anchor] = done.nodes;
    if (!open_.empty()) open_.back().nodes += done.nodes;
  }
  // Counts `nodes` into the document and the collection being read (all of them are counted
  // into its parents when it closes).
  void add(const YAML::Mark& mark, int64_t nodes) {
    total_ += nodes;
    if (!open_.empty()) open_.back().nodes += nodes;
    if (total_ > kMaxYamlExpandedNodes)
      throw InputError(position_of(mark, file_), "",
                       fmt::format("the document stands for more than {} values once its aliases (*name) "
                                   "are expanded; anchors and aliases may repeat only a few values",
                                   kMaxYamlExpandedNodes));
  }

  std::string file_;
  bool allow_aliases_;
  bool awaiting_content_ = false;
  std::vector<Open> open_;
  std::map<YAML::anchor_t, int64_t> expanded_size_;
  int64_t total_ = 0;
};

SourcePos position_of(const YAML::Mark& mark, const std::string& file) {
  return {file, mark.line >= 0 ? mark.line + 1 : 0, mark.column >= 0 ? mark.column + 1 : 0};
}

// Where each document of `text` has its content (its first node). Not YAML::LoadAll: in
// yaml-cpp 0.7 (Debian 12) a token no rule consumes - a line starting with ',' - makes it return
// the same empty document forever, filling memory (yaml-cpp issue 1040; pull request 1319, merged
// upstream in 2024, after 0.8.0). A document starting where the previous one started is that token.
std::vector<YAML::Mark> document_contents(const std::string& text, const std::string& file, bool allow_aliases) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentScan handler(file, allow_aliases);
  while (parser.HandleNextDocument(handler)) {
    const auto& starts = handler.starts;
    if (starts.size() > 1 && starts[starts.size() - 1].pos == starts[starts.size() - 2].pos)
      throw InputError(position_of(starts.back(), file), "",
                       "YAML syntax error: unexpected character (a ',' outside [ ] or { }?)");
  }
  return handler.contents;
}

YAML::Node parse_or_throw(const std::string& text, const std::string& file, bool allow_aliases = true) {
  check_text_encoding(text, file);
  // Every pass below reads the text without the comments' words: lines and columns are unchanged.
  const std::string yaml = shorten_yaml_comments(text);
  // Most files are read in one pass (yaml_single_pass.hpp); the rest, any error and every
  // --set value (no aliases allowed) in two.
  std::optional<YAML::Node> plain;
  if (allow_aliases) plain = load_plain_block_document(yaml);
  if (plain) {
    check_keys(*plain, file);
    return *plain;
  }
  YAML::Node document;
  try {
    const std::vector<YAML::Mark> starts = document_contents(yaml, file, allow_aliases);  // of each document's content
    if (starts.empty()) return YAML::Node();
    // YAML::Load would silently read only the first document of a file with `---` separators.
    if (starts.size() > 1)
      throw InputError(position_of(starts[1], file), "",
                       fmt::format("this file holds {} YAML documents (separated by ---); it must hold one",
                                   starts.size()));
    document = YAML::Load(yaml);
  } catch (const YAML::Exception& error) {
    throw InputError(position_of(error.mark, file), "", "YAML syntax error: " + error.msg);
  }
  check_keys(document, file);
  return document;
}

// `above` says the value broke the upper bound, which is then stated even when it is the
// catch-all 1e300 (a weight of 1e308 was told only "must be greater than 0").
std::string describe_range(const NumberRange& range, bool above = false) {
  const bool has_min = range.min > -1e299;
  const bool has_max = range.max < 1e299 || above;
  if (has_min && has_max)
    return fmt::format("{} {} and at most {}", range.min_exclusive ? "greater than" : "at least",
                       range.min, range.max);
  if (has_min) return fmt::format("{} {}", range.min_exclusive ? "greater than" : "at least", range.min);
  if (has_max) return fmt::format("at most {}", range.max);
  return "a finite number";
}

void check_range(double value, const NumberRange& range, const SourcePos& pos,
                 const std::string& path, const std::string& text) {
  if (!std::isfinite(value))
    throw InputError(pos, path, "'" + text + "' is not a finite number (must be " + describe_range(range) + ")");
  const bool below = range.min_exclusive ? value <= range.min : value < range.min;
  if (below || value > range.max)
    throw InputError(pos, path, fmt::format("{} is out of range (must be {})", text,
                                            describe_range(range, value > range.max)));
}

// What a bad number reads as in collect mode, so that the rest of the section is read: a value
// inside the range, never simulated (the recorded error stops the run before anything runs).
double stand_in(const NumberRange& range) {
  double value = std::min(std::max(1.0, range.min), range.max);
  if (range.min_exclusive && value <= range.min) value = range.max;
  return value;
}

}  // namespace

YAML::Node load_yaml_file(const std::string& path) { return parse_or_throw(read_text_file(path), path); }

YAML::Node load_yaml_string(const std::string& text, const std::string& pretend_file) {
  return parse_or_throw(text, pretend_file);
}

YAML::Node load_yaml_value(const std::string& text, const std::string& pretend_file) {
  return parse_or_throw(text, pretend_file, false);
}

SourcePos position_of(const YAML::Node& node, const std::string& file) { return position_of(node.Mark(), file); }

SourcePos position_at_path(const YAML::Node& root, const std::string& dotted_path, const std::string& file) {
  // Walks the path, remembering the last key found: an error is best shown at its key.
  SourcePos pos = position_of(root, file);
  YAML::Node node(root);
  std::size_t start = 0;
  while (node.IsMap() && start < dotted_path.size()) {
    const std::size_t dot = dotted_path.find('.', start);
    const std::string key = dotted_path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool found = false;
    for (const auto& entry : node) {
      if (entry.first.Scalar() != key) continue;
      pos = position_of(entry.first, file);
      node.reset(entry.second);  // rebind the handle; plain assignment would overwrite the tree
      found = true;
      break;
    }
    if (!found || dot == std::string::npos) break;
    start = dot + 1;
  }
  return pos;
}

int64_t scalar_to_int(const YAML::Node& node, const std::string& file, const std::string& path,
                      NumberRange range) {
  const SourcePos pos = position_of(node, file);
  if (!node.IsScalar()) throw InputError(pos, path, "expected an integer, found a list or mapping");
  const std::string text = node.Scalar();
  double value = 0;
  try {
    std::size_t used = 0;
    value = std::stod(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    throw InputError(pos, path, "expected an integer, got '" + text + "'");
  }
  if (std::isfinite(value) && (value != std::floor(value) || std::fabs(value) > 9.0e15))
    throw InputError(pos, path, "expected an integer, got '" + text + "'");
  check_range(value, range, pos, path, text);
  return static_cast<int64_t>(value);
}

double scalar_to_double(const YAML::Node& node, const std::string& file, const std::string& path,
                        NumberRange range) {
  const SourcePos pos = position_of(node, file);
  if (!node.IsScalar()) throw InputError(pos, path, "expected a number, found a list or mapping");
  const std::string text = node.Scalar();
  // YAML spells infinities and NaN .inf / -.inf / .nan: recognise them to reject them plainly.
  const std::string lowered = to_lower(text);
  if (lowered == ".nan" || lowered == ".inf" || lowered == "+.inf" || lowered == "-.inf")
    throw InputError(pos, path, "'" + text + "' is not a finite number (must be " + describe_range(range) + ")");
  double value = 0;
  try {
    std::size_t used = 0;
    value = std::stod(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    throw InputError(pos, path, "expected a number, got '" + text + "'");
  }
  check_range(value, range, pos, path, text);
  return value;
}

StrictMap::StrictMap(YAML::Node node, std::string file, std::string key_path, Diagnostics* diagnostics)
    : node_(std::move(node)), file_(std::move(file)), key_path_(std::move(key_path)), diagnostics_(diagnostics) {
  if (!node_.IsMap())
    throw InputError(position_of(node_, file_), key_path_.empty() ? "(top level)" : key_path_,
                     "expected a mapping of key: value pairs");
}

void StrictMap::raise(const InputError& error) const {
  if (!diagnostics_) throw error;
  diagnostics_->add(error);
  throw AbandonedSection{};
}

template <typename Read>
auto StrictMap::guarded(Read&& read) const -> decltype(read()) {
  try {
    return read();
  } catch (const InputErrors&) {
    throw;  // already a collection: not one error to re-raise
  } catch (const InputError& error) {
    raise(error);
  }
}

template <typename T, typename Read>
std::optional<T> StrictMap::softly(Read&& read) const {
  try {
    return read();
  } catch (const AbandonedSection&) {
    return std::nullopt;
  }
}

bool StrictMap::has(const std::string& key) const {
  const YAML::Node value = node_[key];  // const access: never inserts
  return value.IsDefined() && !value.IsNull();
}

std::string StrictMap::path_of(const std::string& key) const {
  return key_path_.empty() ? key : key_path_ + "." + key;
}

SourcePos StrictMap::pos() const { return position_of(node_, file_); }

SourcePos StrictMap::pos_of(const std::string& key) const {
  // The key's own mark points at the key itself, which is what a reader wants to see. A key
  // put in by a sweep or --set has no mark: then the value's (a sweep list entry), else the
  // mapping's own.
  for (const auto& entry : node_) {
    if (entry.first.Scalar() != key) continue;
    if (entry.first.Mark().line >= 0) return position_of(entry.first, file_);
    if (entry.second.Mark().line >= 0) return position_of(entry.second, file_);
    break;
  }
  return pos();
}

void StrictMap::fail(const std::string& key, const std::string& message) const {
  raise(InputError(pos_of(key), path_of(key), message));
}

YAML::Node StrictMap::value_of(const std::string& key) {
  read_keys_.insert(key);
  const YAML::Node value = static_cast<const YAML::Node&>(node_)[key];
  if (!value.IsDefined() || value.IsNull()) {
    // A misspelling of the missing key is the likelier mistake: point at it.
    for (const auto& entry : node_) {
      const std::string present = entry.first.Scalar();
      // Short keys are too easily "close" to each other to guess: only longer ones qualify.
      const int allowed = key.size() >= 8 ? 2 : key.size() >= 4 ? 1 : 0;
      if (present != key && edit_distance(present, key) <= allowed && read_keys_.count(present) == 0)
        raise(InputError(position_of(entry.first, file_), path_of(present),
                         "unknown key '" + present + "'; did you mean '" + key + "'?"));
    }
    raise(InputError(pos(), path_of(key), "missing required key '" + key + "'"));
  }
  return value;
}

std::string StrictMap::get_string(const std::string& key) {
  const YAML::Node value = value_of(key);
  if (!value.IsScalar()) fail(key, "expected a string, found a list or mapping");
  return value.Scalar();
}

std::optional<std::string> StrictMap::opt_string(const std::string& key) {
  read_keys_.insert(key);
  if (!has(key)) return std::nullopt;
  return softly<std::string>([&] { return get_string(key); });
}

std::string StrictMap::get_choice(const std::string& key, const std::vector<std::string>& valid) {
  const std::string text = get_string(key);
  for (const auto& option : valid)
    if (iequals(option, text)) return option;
  std::string message = "'" + text + "' is not valid (valid: " + join(valid) + ")";
  const std::string hint = did_you_mean(text, valid);
  if (!hint.empty()) message += "; " + hint;
  fail(key, message);
}

std::optional<std::string> StrictMap::opt_choice(const std::string& key,
                                                 const std::vector<std::string>& valid) {
  read_keys_.insert(key);
  if (!has(key)) return std::nullopt;
  return softly<std::string>([&] { return get_choice(key, valid); });
}

void StrictMap::record(const InputError& error) const {
  if (!diagnostics_) throw error;
  diagnostics_->add(error);
}

// A bad number is recorded and read as a stand-in rather than ending the section: the keys after
// it are independent, and their errors were shown only after this one had been fixed.
int64_t StrictMap::get_int(const std::string& key, NumberRange range) {
  const YAML::Node value = value_of(key);
  try {
    return scalar_to_int(value, file_, path_of(key), range);
  } catch (const InputError& error) {
    record(error);
    return static_cast<int64_t>(std::ceil(stand_in(range)));
  }
}

std::optional<int64_t> StrictMap::opt_int(const std::string& key, NumberRange range) {
  read_keys_.insert(key);
  if (!has(key)) return std::nullopt;
  return softly<int64_t>([&] { return get_int(key, range); });
}

double StrictMap::get_double(const std::string& key, NumberRange range) {
  const YAML::Node value = value_of(key);
  try {
    return scalar_to_double(value, file_, path_of(key), range);
  } catch (const InputError& error) {
    record(error);
    return stand_in(range);
  }
}

std::optional<double> StrictMap::opt_double(const std::string& key, NumberRange range) {
  read_keys_.insert(key);
  if (!has(key)) return std::nullopt;
  return softly<double>([&] { return get_double(key, range); });
}

bool StrictMap::get_bool(const std::string& key) {
  const YAML::Node value = value_of(key);
  const std::string text = value.IsScalar() ? to_lower(value.Scalar()) : "";
  if (text == "true") return true;
  if (text == "false") return false;
  fail(key, "expected true or false, got '" + (value.IsScalar() ? value.Scalar() : "a collection") + "'");
}

std::optional<bool> StrictMap::opt_bool(const std::string& key) {
  read_keys_.insert(key);
  if (!has(key)) return std::nullopt;
  return softly<bool>([&] { return get_bool(key); });
}

std::vector<std::string> StrictMap::get_string_list(const std::string& key) {
  const YAML::Node value = value_of(key);
  if (!value.IsSequence()) fail(key, "expected a list of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!value[i].IsScalar())
      raise(InputError(position_of(value[i], file_), path_of(key) + "[" + std::to_string(i) + "]",
                       "expected a string"));
    out.push_back(value[i].Scalar());
  }
  return out;
}

std::vector<std::string> StrictMap::opt_string_list(const std::string& key) {
  read_keys_.insert(key);
  if (!has(key)) return {};
  return softly<std::vector<std::string>>([&] { return get_string_list(key); }).value_or(std::vector<std::string>{});
}

StrictMap StrictMap::get_map(const std::string& key) {
  const YAML::Node value = value_of(key);
  return guarded([&] { return StrictMap(value, file_, path_of(key), diagnostics_); });
}

std::optional<StrictMap> StrictMap::opt_map(const std::string& key) {
  read_keys_.insert(key);
  if (!has(key)) return std::nullopt;
  return softly<StrictMap>([&] { return get_map(key); });
}

YAML::Node StrictMap::get_node(const std::string& key) { return value_of(key); }

std::vector<std::string> StrictMap::keys() const {
  std::vector<std::string> out;
  for (const auto& entry : node_) out.push_back(entry.first.Scalar());
  return out;
}

void StrictMap::reject_unknown_keys(const std::vector<std::string>& valid) const {
  std::vector<std::string> known = valid;
  if (known.empty()) known.assign(read_keys_.begin(), read_keys_.end());
  for (const auto& entry : node_) {
    const std::string key = entry.first.Scalar();
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string message = "unknown key '" + key + "'";
    const std::string hint = did_you_mean(key, known);
    message += hint.empty() ? " (valid: " + join(known) + ")" : "; " + hint;
    const InputError error(position_of(entry.first, file_), path_of(key), message);
    if (!diagnostics_) throw error;
    diagnostics_->add(error);
  }
}

}  // namespace llmpo
