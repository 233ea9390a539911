// A Hugging Face tokenizer.json run as its pipeline of components, torch-free:
//
//   added/special tokens split out -> normalizer -> pre-tokenizer -> BPE model
//   -> post-processor (only with add_special_tokens)
//
// and back: ids -> token strings -> decoder. Llama 3, Qwen 2.5 and Gemma 2 are all just
// configurations of these components; nothing here knows model names.
//
//   auto tok = Tokenizer::from_file("Qwen2.5-0.5B/tokenizer.json");
//   std::vector<int32_t> ids = tok.encode("Janet has 3 ducks");
//   std::string text = tok.decode(ids);
//
// A Tokenizer is immutable after loading; encode/decode may be called from several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tpt::text {

// The largest token id a tokenizer.json may use. The id -> token table is as long as the largest
// id, so an id of 2^31 - 1 would ask for tens of GiB; no vocabulary comes near 2^24 tokens (the
// largest in use have about 260,000).
constexpr int64_t kMaxTokenId = (int64_t{1} << 24) - 1;

// The message for an id outside [0, kMaxTokenId] (as tokenizer.json holds it), or "" when it is
// a valid id.
std::string token_id_problem(const nlohmann::json& id);

class Normalizer;
class PreTokenizer;
class BpeModel;
class PostProcessor;
class Decoder;
struct Piece;

// One entry of tokenizer.json's "added_tokens".
struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool special = false;
  bool single_word = false;  // match only when not inside a word
  bool lstrip = false;       // also swallow whitespace on the left
  bool rstrip = false;       // ... and on the right
  bool normalized = false;   // matched in normalized text rather than raw input
};

class Tokenizer {
 public:
  // Throws tpt::FileError naming the file and JSON path of a malformed or unsupported part.
  static Tokenizer from_file(const std::string& path);
  // `source` names the document in errors.
  static Tokenizer from_json(const nlohmann::json& doc, const std::string& source);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Special tokens written in the text ("<|eot_id|>") are always recognised, as in HF;
  // add_special_tokens only controls the post-processor (e.g. a leading BOS). Throws
  // tpt::Error when `text` is not valid UTF-8.
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens = false) const;
  std::vector<int32_t> encode_pair(std::string_view first, std::string_view second, bool add_special_tokens = false) const;

  // Ids the tokenizer does not know are skipped (as in HF: a model's embedding table is often
  // larger than its vocabulary); ids that name no token at all decode to "".
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens = false) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(int32_t id) const;
  bool is_special(int32_t id) const;
  // One past the largest id (model vocabulary and added tokens together).
  size_t vocab_size() const { return id_to_token_.size(); }
  const std::vector<AddedToken>& added_tokens() const { return added_; }
  const std::string& source() const { return source_; }

 private:
  Tokenizer();
  struct Match;
  // Splits `text` on the added tokens of one group (raw or normalized).
  std::vector<Match> find_added(std::string_view text, bool normalized_group) const;
  void encode_text(std::string_view text, bool at_start, std::vector<int32_t>& out) const;
  void encode_words(std::vector<Piece>& pieces, std::vector<int32_t>& out) const;
  std::vector<int32_t> encode_one(std::string_view text) const;

  std::string source_;
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<BpeModel> model_;
  std::unique_ptr<PostProcessor> post_processor_;
  std::unique_ptr<Decoder> decoder_;
  std::vector<AddedToken> added_;
  // Added tokens by first byte of their (raw or normalized) content, for the splitter.
  std::vector<std::vector<std::pair<std::string, size_t>>> raw_by_byte_, normalized_by_byte_;
  std::vector<std::string> id_to_token_;
  enum class IdKind : uint8_t { none, model, added, special };
  std::vector<IdKind> id_kind_;
};

// Turns ids into text as they are generated. Each step returns only text that is complete:
// a character split across byte tokens appears once its last byte arrives, and the decoder's
// context (SentencePiece's leading-space rule) stays right because recent ids are re-decoded
// together, the way HF's DecodeStream does.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens = false);
  // Text that became complete with this id (often empty).
  std::string step(int32_t id);
  // Whatever is left at the end of generation, invalid bytes shown as U+FFFD.
  std::string flush();

 private:
  const Tokenizer& tokenizer_;
  bool skip_special_;
  std::vector<int32_t> ids_;
  std::string prefix_;
  size_t prefix_index_ = 0;
};

}  // namespace tpt::text
