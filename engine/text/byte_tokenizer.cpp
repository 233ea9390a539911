#include "text/byte_tokenizer.h"

#include "text/pre_tokenizer.h"

namespace tpt::text {

nlohmann::json byte_tokenizer_json(const std::vector<std::string>& special_tokens) {
  using nlohmann::json;
  json vocab = json::object();
  for (int byte = 0; byte < 256; ++byte) vocab[byte_to_unicode(static_cast<unsigned char>(byte))] = byte;
  json added = json::array();
  for (size_t i = 0; i < special_tokens.size(); ++i) {
    const int id = 256 + static_cast<int>(i);
    vocab[special_tokens[i]] = id;
    added.push_back({{"id", id}, {"content", special_tokens[i]}, {"single_word", false}, {"lstrip", false},
                     {"rstrip", false}, {"normalized", false}, {"special", true}});
  }
  const json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}};
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", added},
          {"normalizer", nullptr},
          {"pre_tokenizer", byte_level},
          {"post_processor", nullptr},
          {"decoder", byte_level},
          {"model",
           {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
            {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false},
            {"vocab", vocab}, {"merges", json::array()}}}};
}

Tokenizer byte_tokenizer(const std::vector<std::string>& special_tokens) {
  return Tokenizer::from_json(byte_tokenizer_json(special_tokens), "byte tokenizer");
}

}  // namespace tpt::text
