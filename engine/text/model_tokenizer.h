// A model folder's tokenizer with what generation needs around it: tokenizer.json, plus the
// optional tokenizer_config.json (BOS/EOS/PAD token strings, add_bos_token, the chat
// template, from which the chat family is recognised) and generation_config.json
// (eos_token_id: an int or a list). Torch-free.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "text/chat_template.h"
#include "text/tokenizer.h"

namespace tpt::text {

struct ModelTokenizer {
  std::shared_ptr<const Tokenizer> tokenizer;
  std::string folder;

  std::optional<int32_t> bos_id;
  std::optional<int32_t> eos_id;
  std::optional<int32_t> pad_id;
  // Whether a raw prompt starts with BOS: tokenizer_config.json's add_bos_token when given,
  // else whether the post-processor adds it (Llama 3 and Gemma 2 yes, Qwen 2.5 no).
  bool add_bos_token = false;
  // Generation stops at any of these: generation_config.json's eos_token_id(s), the
  // tokenizer's EOS, and the chat family's end-of-turn token (a base model's
  // generation_config may name only <|end_of_text|>, but a chat prompt ends turns with
  // <|eot_id|>). Sorted, without repeats.
  std::vector<int32_t> stop_ids;
  // From the chat template; nullopt when the folder has none or it is not one we know.
  std::optional<ChatFamily> chat_family;

  bool is_stop(int32_t id) const;
  // A prompt's ids: a chat (already holding BOS) or raw text (BOS added per add_bos_token).
  std::vector<int32_t> encode_chat(const std::vector<ChatMessage>& messages, bool add_generation_prompt = true,
                                   const ChatOptions& options = {}) const;
  std::vector<int32_t> encode_prompt(const std::string& text) const;
};

// Throws tpt::FileError naming the file and field of anything malformed.
ModelTokenizer load_model_tokenizer(const std::string& folder);

// Where a tokenizer meets a model: every id the tokenizer can give (its vocabulary, added tokens
// and the post-processor's special tokens) must have a row in the model's embedding table of
// `vocab_size` rows, or the first prompt holding such a token fails deep inside libtorch. Throws
// tpt::FileError naming tokenizer.json, the token, its id, the vocabulary size and where that
// comes from (`vocab_source`, e.g. "models/base/config.json").
void check_tokenizer_fits_model(const Tokenizer& tokenizer, int64_t vocab_size, const std::string& vocab_source);

}  // namespace tpt::text
