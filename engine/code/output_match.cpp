#include "code/output_match.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

#include "core/text.h"

namespace tpt::code {

namespace {

constexpr double kTolerance = 1e-5;  // CodeContests' kDoublePrecision

bool is_separator(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v'; }
// absl's StripAsciiWhitespace also strips '\f', which the splitter keeps inside tokens.
bool is_ascii_space(char c) { return is_separator(c) || c == '\f'; }

std::string quoted(std::string_view token) { return "\"" + excerpt(token, 40) + "\""; }

}  // namespace

std::vector<std::string> output_tokens(std::string_view text) {
  std::vector<std::string> tokens;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_separator(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !is_separator(text[i])) ++i;
    if (i > start) {
      std::string token(text.substr(start, i - start));
      for (char& c : token)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      tokens.push_back(std::move(token));
    }
  }
  return tokens;
}

std::optional<double> parse_number_token(std::string_view token) {
  while (!token.empty() && is_ascii_space(token.front())) token.remove_prefix(1);
  while (!token.empty() && is_ascii_space(token.back())) token.remove_suffix(1);
  // std::from_chars, like absl's, refuses a leading '+'; SimpleAtod skips one (but not "+-").
  if (!token.empty() && token.front() == '+') {
    token.remove_prefix(1);
    if (!token.empty() && token.front() == '-') return std::nullopt;
  }
  if (token.empty()) return std::nullopt;
  double value = 0.0;
  const char* end = token.data() + token.size();
  auto [ptr, ec] = std::from_chars(token.data(), end, value, std::chars_format::general);
  if (ec == std::errc::invalid_argument || ptr != end) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // absl reads an overflow as +-infinity and an underflow as (signed) zero.
    const bool negative = token.front() == '-';
    const auto e = token.find_first_of("eE");
    const bool underflow = e != std::string_view::npos && e + 1 < token.size() && token[e + 1] == '-';
    if (underflow) return negative ? -0.0 : 0.0;
    return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  return value;
}

OutputMatch match_output(std::string_view actual, std::string_view expected) {
  const auto got = output_tokens(actual);
  const auto want = output_tokens(expected);
  if (got.size() != want.size()) {
    return {false, "expected " + std::to_string(want.size()) + (want.size() == 1 ? " token" : " tokens") +
                       ", got " + std::to_string(got.size())};
  }
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] == want[i]) continue;
    const auto a = parse_number_token(got[i]);
    const auto b = parse_number_token(want[i]);
    if (a && b && std::fabs(*a - *b) < kTolerance) continue;
    return {false, "token " + std::to_string(i + 1) + ": expected " + quoted(want[i]) + ", got " + quoted(got[i])};
  }
  return {true, ""};
}

}  // namespace tpt::code
