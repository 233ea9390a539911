#include "prune/extract.h"

#include <vector>

#include "core/text.h"

namespace tpt::prune {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
// Python's `\s` restricted to ASCII, which is what completions put between "####" and a number.
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool in_strict_class(char c) { return is_digit(c) || c == '.' || c == ','; }      // [\d.,]
bool in_flexible_class(char c) { return is_digit(c) || c == '$' || c == '.' || c == ','; }  // [$0-9.,]

bool has_digit(std::string_view s) {
  for (char c : s)
    if (is_digit(c)) return true;
  return false;
}

size_t run_end(std::string_view text, size_t pos, bool (*in_class)(char)) {
  while (pos < text.size() && in_class(text[pos])) ++pos;
  return pos;
}

}  // namespace

const char* to_string(Extractor extractor) {
  switch (extractor) {
    case Extractor::Strict: return "strict";
    case Extractor::Flexible: return "flexible";
    case Extractor::Boxed: return "boxed";
  }
  return "strict";
}

std::optional<Extractor> parse_extractor(std::string_view name) {
  if (name == "strict") return Extractor::Strict;
  if (name == "flexible") return Extractor::Flexible;
  if (name == "boxed") return Extractor::Boxed;
  return std::nullopt;
}

std::vector<std::string> extractor_names() { return {"strict", "flexible", "boxed"}; }

std::optional<std::string> extract_strict(std::string_view text) {
  // A regex search tries every start position, so "#####5" matches at offset 1 and a "####"
  // followed by no number does not stop the search for a later one.
  for (size_t at = text.find("####"); at != std::string_view::npos; at = text.find("####", at + 1)) {
    size_t pos = at + 4;
    while (pos < text.size() && is_space(text[pos])) ++pos;
    size_t start = pos;
    // `-?` backtracks to empty when no [\d.,] follows the minus; then the class fails on '-'.
    if (pos < text.size() && text[pos] == '-') ++pos;
    size_t end = run_end(text, pos, in_strict_class);
    if (end > pos) return std::string(text.substr(start, end - start));
  }
  return std::nullopt;
}

std::optional<std::string> extract_flexible(std::string_view text) {
  std::optional<std::string_view> last;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t match_end = pos;
    // Alternative 1: -?[$0-9.,]{2,} (greedy, so the whole run).
    size_t body = pos + (text[pos] == '-' ? 1 : 0);
    size_t end = run_end(text, body, in_flexible_class);
    if (end - body >= 2) {
      match_end = end;
    } else {
      // Without the minus, alternative 1 cannot start on '-'; with a run < 2 it has failed.
      // Alternative 2: -?[0-9]+.
      size_t digits_end = run_end(text, body, is_digit);
      if (digits_end > body) match_end = digits_end;
    }
    if (match_end == pos) {
      ++pos;
      continue;
    }
    std::string_view match = text.substr(pos, match_end - pos);
    if (has_digit(match)) last = match;  // the documented deviation: "..." is not an answer
    pos = match_end;
  }
  if (!last) return std::nullopt;
  return std::string(*last);
}

std::optional<std::string> extract_boxed(std::string_view text) {
  static constexpr std::string_view kMarker = "\\boxed";
  size_t search = text.find(kMarker);
  if (search == std::string_view::npos) return std::nullopt;
  // The closing brace of every '{', found in one pass with a stack: the brace that brings the
  // depth counted from a '{' back to zero is the one that pops it. Scanning forward from each
  // box instead costs the rest of the text per unclosed box, so N unclosed boxes (a completion
  // that repeats "\boxed{" until cut off) took time quadratic in N.
  std::vector<size_t> closing;  // closing[k]: close of the k-th '{' (npos: unclosed)
  std::vector<size_t> open_at;  // position of each '{', in order
  {
    std::vector<size_t> stack;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '{') {
        stack.push_back(open_at.size());
        open_at.push_back(i);
        closing.push_back(std::string_view::npos);
      } else if (text[i] == '}' && !stack.empty()) {
        closing[stack.back()] = i;
        stack.pop_back();
      }
    }
  }
  std::optional<std::string_view> last;
  size_t brace = 0;  // index into open_at of the first '{' at or after the current position
  while (true) {
    size_t at = text.find(kMarker, search);
    if (at == std::string_view::npos) break;
    size_t pos = at + kMarker.size();
    search = pos;
    while (pos < text.size() && is_space(text[pos])) ++pos;
    if (pos >= text.size() || text[pos] != '{') continue;
    while (open_at[brace] < pos) ++brace;  // positions only grow: linear over the whole text
    const size_t close = closing[brace];
    if (close == std::string_view::npos) continue;  // unclosed: a truncated completion
    last = trim(text.substr(pos + 1, close - pos - 1));
    // A \boxed nested inside this one belongs to it, not to a later answer.
    search = close + 1;
  }
  if (!last) return std::nullopt;
  return std::string(*last);
}

std::optional<std::string> extract_answer(Extractor extractor, std::string_view text) {
  switch (extractor) {
    case Extractor::Strict: return extract_strict(text);
    case Extractor::Flexible: return extract_flexible(text);
    case Extractor::Boxed: return extract_boxed(text);
  }
  return std::nullopt;
}

std::optional<std::string> extract_gold(std::string_view solution) {
  // Scans lines in place: the rule set calls this once per sample, so no per-line vector.
  std::optional<std::string_view> answer;
  size_t start = 0;
  while (start <= solution.size()) {
    size_t end = solution.find('\n', start);
    if (end == std::string_view::npos) end = solution.size();
    std::string_view line = solution.substr(start, end - start);
    line.remove_prefix(std::min(line.size(), line.find_first_not_of(" \t")));
    if (starts_with(line, "####")) answer = trim(line.substr(4));
    start = end + 1;
  }
  if (!answer) answer = trim(solution);
  if (answer->empty()) return std::nullopt;
  return std::string(*answer);
}

}  // namespace tpt::prune
