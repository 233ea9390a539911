// tokenizer.json "decoder": turns token strings back into text. Supported types: ByteLevel,
// Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence. Like HF's decode_chain, each step
// maps a list of token strings to a new list; the final text is their concatenation.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "text/json_place.h"

namespace tpt::text {

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual std::vector<std::string> decode_chain(std::vector<std::string> tokens) const = 0;
};

// null -> nullptr (tokens are joined with spaces, as HF does without a decoder).
std::unique_ptr<Decoder> parse_decoder(const json& value, const JsonPlace& at);

}  // namespace tpt::text
