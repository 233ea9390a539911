// A byte-level tokenizer with no merges: ids 0..255 are the bytes, special tokens follow.
// Any text encodes (nothing is unknown) and any id sequence decodes, which makes it the
// tokenizer of choice for tiny models built in code: benchmarks, tests, small built-in models.
// It is an ordinary tokenizer.json pipeline (ByteLevel pre-tokenizer and decoder, BPE model),
// so it saves and loads like any other.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "text/tokenizer.h"

namespace tpt::text {

// The tokenizer.json document; `special_tokens` get ids 256, 257, ...
nlohmann::json byte_tokenizer_json(const std::vector<std::string>& special_tokens = {"<|endoftext|>"});
Tokenizer byte_tokenizer(const std::vector<std::string>& special_tokens = {"<|endoftext|>"});

}  // namespace tpt::text
