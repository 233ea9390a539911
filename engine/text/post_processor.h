// tokenizer.json "post_processor": adds special tokens around encoded text when the caller
// asks for them (Llama 3 and Gemma put BOS here). Supported types: TemplateProcessing,
// ByteLevel (changes only offsets, so nothing here), Sequence.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "text/json_place.h"

namespace tpt::text {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // `sequences` holds one (single) or two (pair) encodings; the result is one or more
  // encodings that the tokenizer concatenates.
  virtual std::vector<std::vector<int32_t>> process(std::vector<std::vector<int32_t>> sequences) const = 0;
  // Every id process() may add, so the tokenizer can check that it knows them.
  virtual std::vector<int32_t> added_ids() const { return {}; }
};

// null -> nullptr (sequences are concatenated unchanged).
std::unique_ptr<PostProcessor> parse_post_processor(const json& value, const JsonPlace& at);

}  // namespace tpt::text
