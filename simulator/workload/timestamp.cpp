#include "timestamp.hpp"

#include <fmt/format.h>

namespace llmpo {

namespace {

constexpr int64_t kNsPerS = 1'000'000'000;

// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t days_from_civil(int64_t year, int64_t month, int64_t day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

int64_t days_in_month(int64_t year, int64_t month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// A cursor over the text that reads the fixed-width fields of a timestamp.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  // Exactly `count` digits.
  bool digits(int count, int64_t& value) {
    value = 0;
    for (int i = 0; i < count; ++i, ++pos_) {
      if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') return false;
      value = value * 10 + (text_[pos_] - '0');
    }
    return true;
  }
  bool skip(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool at_digit() const { return pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9'; }
  bool done() const { return pos_ == text_.size(); }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

bool fail(std::string* problem, std::string why) {
  if (problem != nullptr) *problem = std::move(why);
  return false;
}

}  // namespace

bool parse_timestamp_ns(std::string_view text, int64_t& ns_since_epoch, std::string* problem) {
  const char* kForm = "expected YYYY-MM-DD HH:MM:SS[.fraction][Z|+HH:MM]";
  Cursor at(text);
  int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!at.digits(4, year) || !at.skip('-') || !at.digits(2, month) || !at.skip('-') || !at.digits(2, day) ||
      !(at.skip(' ') || at.skip('T')) || !at.digits(2, hour) || !at.skip(':') || !at.digits(2, minute) ||
      !at.skip(':') || !at.digits(2, second))
    return fail(problem, kForm);
  int64_t fraction_ns = 0;
  if (at.skip('.')) {
    int count = 0;
    for (int64_t scale = kNsPerS / 10; at.at_digit(); scale /= 10) {
      int64_t digit = 0;
      at.digits(1, digit);
      if (++count > 9) return fail(problem, "more than 9 fractional digits (nanoseconds are the finest unit)");
      fraction_ns += digit * scale;
    }
    if (count == 0) return fail(problem, fmt::format("no digits after the decimal point; {}", kForm));
  }
  int64_t offset_s = 0;  // local time minus UTC
  if (at.skip('Z')) {
  } else if (const bool plus = at.skip('+'); plus || at.skip('-')) {
    int64_t offset_hours = 0, offset_minutes = 0;
    if (!at.digits(2, offset_hours) || !at.skip(':') || !at.digits(2, offset_minutes) || offset_hours > 23 ||
        offset_minutes > 59)
      return fail(problem, fmt::format("malformed UTC offset; {}", kForm));
    offset_s = (plus ? 1 : -1) * (offset_hours * 3600 + offset_minutes * 60);
  }
  if (!at.done()) return fail(problem, kForm);
  if (year < kMinTimestampYear || year > kMaxTimestampYear)
    return fail(problem, fmt::format("year {} is outside {}..{}", year, kMinTimestampYear, kMaxTimestampYear));
  if (month < 1 || month > 12) return fail(problem, fmt::format("month {} is not 01..12", month));
  if (day < 1 || day > days_in_month(year, month))
    return fail(problem, fmt::format("day {} does not exist in {:04}-{:02}", day, year, month));
  if (hour > 23 || minute > 59 || second > 60)
    return fail(problem, fmt::format("time {:02}:{:02}:{:02} is not a time of day", hour, minute, second));
  const int64_t seconds = ((days_from_civil(year, month, day) * 24 + hour) * 60 + minute) * 60 + second - offset_s;
  ns_since_epoch = seconds * kNsPerS + fraction_ns;
  return true;
}

}  // namespace llmpo
