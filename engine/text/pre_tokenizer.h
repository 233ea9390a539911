// tokenizer.json "pre_tokenizer": cuts normalized text into words that the model encodes
// independently (and caches). Supported types: Split (String or Regex pattern, every
// behaviour, invert), ByteLevel (GPT-2 regex and byte-to-unicode mapping), Metaspace, Sequence.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "text/json_place.h"

namespace tpt::text {

struct Piece {
  std::string text;
  // The piece begins at offset 0 of the original input (Metaspace's prepend_scheme "first").
  bool at_start = false;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Splits (and may rewrite) every piece; empty pieces are dropped.
  virtual void pre_tokenize(std::vector<Piece>& pieces) const = 0;
};

// null -> nullptr (the whole normalized segment is one word).
std::unique_ptr<PreTokenizer> parse_pre_tokenizer(const json& value, const JsonPlace& at);

// How Split treats the matched parts (HF's SplitDelimiterBehavior).
enum class SplitBehavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };

// [begin, end) ranges covering `text`: matches and the text between them, grouped as the
// behaviour says. Exposed for tests.
std::vector<std::pair<size_t, size_t>> split_ranges(size_t text_size, const std::vector<std::pair<size_t, size_t>>& matches,
                                                    SplitBehavior behavior, bool invert);

// GPT-2's byte-to-unicode table: bytes that are printable stand for themselves, the others
// for U+0100 onwards. Returns the UTF-8 of the code point standing for `byte`.
const std::string& byte_to_unicode(unsigned char byte);
// Inverse: -1 for a code point outside the table.
int unicode_to_byte(char32_t cp);

}  // namespace tpt::text
