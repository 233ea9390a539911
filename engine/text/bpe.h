// tokenizer.json "model" of type BPE: a vocabulary, merges applied by rank, and the options
// real checkpoints use (ignore_merges for Llama 3, byte_fallback for SentencePiece-style files,
// unk_token/fuse_unk, continuing_subword_prefix, end_of_word_suffix).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "text/json_place.h"

namespace tpt::text {

class BpeModel {
 public:
  // `value` is tokenizer.json's "model" object (its "type" already checked to be "BPE").
  static std::unique_ptr<BpeModel> parse(const json& value, const JsonPlace& at);

  // Appends the ids of one pre-tokenized word.
  void tokenize(std::string_view word, std::vector<int32_t>& out) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  // Every (token, id) of the vocabulary.
  const std::unordered_map<std::string, int32_t>& vocab() const { return vocab_; }

 private:
  void merge_word(std::string_view word, std::vector<int32_t>& out) const;
  std::optional<int32_t> lookup(std::string_view token) const;

  std::unordered_map<std::string, int32_t> vocab_;
  struct Merge {
    int32_t rank;
    int32_t new_id;
  };
  // Key: (left id << 32) | right id.
  std::unordered_map<uint64_t, Merge> merges_;
  std::optional<int32_t> unk_id_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  std::string continuing_subword_prefix_;
  std::string end_of_word_suffix_;
  std::vector<int32_t> byte_ids_;  // <0xNN> ids when byte_fallback, -1 where absent

  // Words repeat a lot in text (" the", " of"): cache their ids. Guarded so one tokenizer can
  // serve several threads.
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace tpt::text
