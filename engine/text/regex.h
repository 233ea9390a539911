// A compiled PCRE2 pattern with the Unicode semantics tokenizer.json patterns assume
// (\p{L}, \p{N}, Unicode \s), used by the Split pre-tokenizer and the Replace normalizer.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text/json_place.h"

namespace tpt::text {

class Regex {
 public:
  // Throws std::invalid_argument with PCRE2's message and the offset of the problem.
  explicit Regex(const std::string& pattern);
  // A pattern that matches `literal` exactly (tokenizer.json's {"String": ...} patterns).
  static Regex literal(const std::string& literal);

  // Non-overlapping matches, left to right, as [begin, end) byte ranges. `text` must be valid
  // UTF-8 (the tokenizer checks its input once, up front).
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct Code;
  std::string pattern_;
  std::shared_ptr<const Code> code_;
};

std::string escape_regex(std::string_view literal);

// tokenizer.json's {"String": "..."} (literal) or {"Regex": "..."} pattern objects.
Regex parse_pattern(const json& value, const JsonPlace& at);

}  // namespace tpt::text
