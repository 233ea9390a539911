// tokenizer.json "normalizer": rewrites text before it is split into words (Qwen: NFC;
// SentencePiece-style tokenizers: spaces to "▁"). Supported types: NFC, NFD, NFKC, NFKD,
// Replace, Prepend, Sequence.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "text/json_place.h"

namespace tpt::text {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual std::string normalize(std::string_view text) const = 0;
};

// null -> nullptr (no normalization).
std::unique_ptr<Normalizer> parse_normalizer(const json& value, const JsonPlace& at);

// Unicode normalization form C, through ICU. Exposed for tests and the added-token matcher.
std::string nfc(std::string_view text);

}  // namespace tpt::text
