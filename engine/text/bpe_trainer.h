// Learns a small byte-level BPE tokenizer from a corpus, for models built from scratch in code
// (the built-in base model of the demo). Its output is an ordinary tokenizer.json (ByteLevel
// pre-tokenizer and decoder, BPE model with merges), the layout GPT-2 and Llama 3 use, so the
// model folder loads through the same code as any downloaded one.
//
// Why not bytes alone: a byte per token makes a word problem ~250 tokens long; merging the
// frequent words of the corpus brings that to ~80, and every phase of a round (sampling,
// training, scoring) gets that much cheaper. Digits stay one per token, as in Llama 2, so
// numbers read the same way however rare they are in the corpus.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tpt::text {

struct BpeTrainerOptions {
  // Tokens in the vocabulary: the 256 bytes, the special tokens (ids 256, 257, ...), then one
  // per merge until this size is reached or no pair occurs `min_frequency` times any more.
  int vocab_size = 512;
  int min_frequency = 2;
  std::vector<std::string> special_tokens = {"<|endoftext|>"};
};

// The tokenizer.json learnt from `texts`. Deterministic: the same texts (in any order) and
// options give the same file. The most frequent pair is merged first; ties go to the pair
// whose tokens sort first. Throws Error when vocab_size is below 256 + special tokens.
nlohmann::json train_byte_level_bpe(const std::vector<std::string>& texts, const BpeTrainerOptions& options = {});

}  // namespace tpt::text
