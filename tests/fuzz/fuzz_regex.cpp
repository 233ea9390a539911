// The pre-tokenizer patterns of tokenizer.json (text/regex.h, PCRE2 with Unicode semantics) and
// the Split pre-tokenizer's grouping (split_ranges). The input is a pattern, then (after a NUL
// byte) the text to split. Checked: matches are ordered, disjoint, inside the text and on code
// point boundaries; every split behaviour but "removed" covers the text exactly, in order.
#include <optional>
#include <stdexcept>

#include "fuzz_support.h"
#include "text/pre_tokenizer.h"
#include "text/regex.h"
#include "text/utf8.h"

using namespace tpt;

namespace {

bool at_boundary(std::string_view text, size_t offset) {
  return offset == text.size() || (static_cast<unsigned char>(text[offset]) & 0xC0) != 0x80;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [pattern, text] = fuzz::split_at_nul(fuzz::as_text(data, size));
  std::optional<text::Regex> regex;
  try {
    regex.emplace(std::string(pattern));
  } catch (const std::invalid_argument&) {
    // What the Regex constructor documents; parse_pattern reports it with its JSON path.
    return 0;
  }
  // The literal form of the same text always compiles and matches itself.
  const text::Regex literal = text::Regex::literal(std::string(pattern));
  if (!pattern.empty() && text::find_invalid_utf8(pattern) == std::string_view::npos) {
    const auto self = literal.find_all(pattern);
    FUZZ_EXPECT(self.size() >= 1 && self[0] == std::make_pair(size_t{0}, pattern.size()),
                "the literal pattern of " + fuzz::show(pattern) + " does not match it");
  }

  // find_all needs valid UTF-8: the tokenizer checks its input once, up front.
  if (text::find_invalid_utf8(text) != std::string_view::npos) return 0;
  const auto matches = regex->find_all(text);
  size_t previous_end = 0;
  bool first = true;
  for (const auto& [begin, end] : matches) {
    FUZZ_EXPECT(begin <= end && end <= text.size(), "a match outside the text");
    FUZZ_EXPECT(first || begin >= previous_end, "matches overlap or go backwards");
    FUZZ_EXPECT(at_boundary(text, begin) && at_boundary(text, end), "a match splits a code point");
    previous_end = end;
    first = false;
  }

  for (const auto behavior : {text::SplitBehavior::removed, text::SplitBehavior::isolated,
                              text::SplitBehavior::merged_with_previous, text::SplitBehavior::merged_with_next,
                              text::SplitBehavior::contiguous}) {
    for (const bool invert : {false, true}) {
      const auto ranges = text::split_ranges(text.size(), matches, behavior, invert);
      std::string joined;
      size_t at = 0;
      for (const auto& [begin, end] : ranges) {
        FUZZ_EXPECT(begin <= end && end <= text.size() && begin >= at, "split ranges out of order");
        at = end;
        joined += text.substr(begin, end - begin);
      }
      if (behavior != text::SplitBehavior::removed)
        FUZZ_EXPECT(joined == text, "split pieces do not give the text back: " + fuzz::show(joined));
    }
  }
  return 0;
}
