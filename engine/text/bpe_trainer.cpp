#include "text/bpe_trainer.h"

#include <map>
#include <tuple>

#include "core/error.h"
#include "text/pre_tokenizer.h"
#include "text/utf8.h"

namespace tpt::text {

namespace {

using nlohmann::json;

// Digits split off one by one (a leading space stays with the first), then GPT-2's byte-level
// split and byte-to-unicode mapping. The same pipeline pre-tokenizes the corpus here and every
// text the finished tokenizer encodes, so the merges learnt are the merges that apply.
json pre_tokenizer_json() {
  return {{"type", "Sequence"},
          {"pretokenizers",
           {{{"type", "Split"}, {"pattern", {{"Regex", " ?\\p{N}"}}}, {"behavior", "Isolated"}, {"invert", false}},
            {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}}}};
}

// Merges the pair (left, right) wherever it occurs in `word`, left to right.
void merge_in(std::vector<int>& word, int left, int right, int merged) {
  size_t out = 0;
  for (size_t i = 0; i < word.size(); ++i) {
    if (i + 1 < word.size() && word[i] == left && word[i + 1] == right) {
      word[out++] = merged;
      ++i;
    } else {
      word[out++] = word[i];
    }
  }
  word.resize(out);
}

}  // namespace

json train_byte_level_bpe(const std::vector<std::string>& texts, const BpeTrainerOptions& options) {
  const int first_merge_id = 256 + static_cast<int>(options.special_tokens.size());
  if (options.vocab_size < first_merge_id)
    throw Error("BPE trainer: vocab_size " + std::to_string(options.vocab_size) + " is below the " +
                std::to_string(first_merge_id) + " tokens of the bytes and special tokens");

  // Word counts: merges never cross a pre-tokenizer boundary, so each distinct word is
  // worked on once, weighted by how often it occurs. std::map keeps the order fixed.
  const auto pre_tokenizer = parse_pre_tokenizer(pre_tokenizer_json(), JsonPlace("BPE trainer", "pre_tokenizer"));
  std::map<std::string, int64_t> counts;
  for (const auto& text : texts) {
    std::vector<Piece> pieces{{text, true}};
    pre_tokenizer->pre_tokenize(pieces);
    for (const auto& piece : pieces) ++counts[piece.text];
  }

  std::vector<std::string> tokens(256);  // id -> token text (byte-mapped)
  for (int b = 0; b < 256; ++b) tokens[b] = byte_to_unicode(static_cast<unsigned char>(b));
  std::vector<std::vector<int>> words;
  std::vector<int64_t> weights;
  for (const auto& [text, count] : counts) {
    std::vector<int> word;
    for (size_t pos = 0; pos < text.size();) word.push_back(unicode_to_byte(next_code_point(text, pos)));
    words.push_back(std::move(word));
    weights.push_back(count);
  }

  std::map<std::string, int> merged_ids;  // merged token text -> its id, for repeated results
  json merges = json::array();
  int next_id = first_merge_id;
  while (next_id < options.vocab_size) {
    std::map<std::pair<int, int>, int64_t> pairs;
    for (size_t w = 0; w < words.size(); ++w)
      for (size_t i = 0; i + 1 < words[w].size(); ++i) pairs[{words[w][i], words[w][i + 1]}] += weights[w];
    const std::pair<int, int>* best = nullptr;
    int64_t best_count = 0;
    for (const auto& [pair, count] : pairs) {
      if (count < options.min_frequency) continue;
      const bool better = !best || count > best_count ||
                          (count == best_count && std::tie(tokens[pair.first], tokens[pair.second]) <
                                                      std::tie(tokens[best->first], tokens[best->second]));
      if (better) {
        best = &pair;
        best_count = count;
      }
    }
    if (!best) break;
    const auto [left, right] = *best;
    const std::string text = tokens[left] + tokens[right];
    int id;
    if (auto it = merged_ids.find(text); it != merged_ids.end()) {
      id = it->second;  // "ab"+"c" after "a"+"bc": one token, two merges, as HF allows
    } else {
      id = static_cast<int>(tokens.size());
      tokens.push_back(text);
      merged_ids.emplace(text, id);
      ++next_id;
    }
    merges.push_back(tokens[left] + " " + tokens[right]);
    for (auto& word : words) merge_in(word, left, right, id);
  }

  // Ids: bytes 0..255, the special tokens, then the merged tokens in the order they were made.
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[tokens[b]] = b;
  json added = json::array();
  for (size_t i = 0; i < options.special_tokens.size(); ++i) {
    const int id = 256 + static_cast<int>(i);
    vocab[options.special_tokens[i]] = id;
    added.push_back({{"id", id}, {"content", options.special_tokens[i]}, {"single_word", false}, {"lstrip", false},
                     {"rstrip", false}, {"normalized", false}, {"special", true}});
  }
  for (size_t id = 256; id < tokens.size(); ++id) vocab[tokens[id]] = static_cast<int>(id) + (first_merge_id - 256);

  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", added},
          {"normalizer", nullptr},
          {"pre_tokenizer", pre_tokenizer_json()},
          {"post_processor", nullptr},
          {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}},
          {"model",
           {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
            {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false},
            {"vocab", vocab}, {"merges", merges}}}};
}

}  // namespace tpt::text
