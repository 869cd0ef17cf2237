#include "error.hpp"

#include <fmt/format.h>

namespace llmpo {

std::string SourcePos::to_string() const {
  if (line <= 0) return file;
  if (column <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

static std::string compose(const SourcePos& pos, const std::string& key_path,
                           const std::string& message) {
  std::string out;
  const std::string where = pos.to_string();
  if (!where.empty()) out += where + ": ";
  if (!key_path.empty()) out += key_path + ": ";
  return out + message;
}

InputError::InputError(SourcePos pos, std::string key_path, std::string message)
    : std::runtime_error(compose(pos, key_path, message)),
      pos_(std::move(pos)),
      key_path_(std::move(key_path)),
      message_(std::move(message)) {}

InputErrors::InputErrors(std::vector<InputError> errors, std::size_t dropped)
    : InputError(errors.at(0)), errors_(std::move(errors)), dropped_(dropped) {
  for (const auto& error : errors_) {
    if (!text_.empty()) text_ += '\n';
    text_ += error.what();
  }
  if (dropped_ > 0) text_ += fmt::format("\n... and {} more error(s)", dropped_);
}

}  // namespace llmpo
