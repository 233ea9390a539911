#include "text/tokenizer.h"

#include <unicode/uchar.h>

#include "core/error.h"
#include "io/json_fields.h"
#include "text/bpe.h"
#include "text/json_place.h"
#include "text/normalizer.h"
#include "text/post_processor.h"
#include "text/pre_tokenizer.h"
#include "text/token_decoder.h"
#include "text/utf8.h"

namespace tpt::text {

struct Tokenizer::Match {
  size_t begin, end;  // the bytes the token takes, whitespace absorbed by lstrip/rstrip included
  int32_t id;
};

Tokenizer::Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

std::string token_id_problem(const nlohmann::json& id) {
  const bool negative = id.is_number_integer() && !id.is_number_unsigned() && id.get<int64_t>() < 0;
  if (!id.is_number_integer() || negative) return "expected a token id (integer >= 0), got " + io::describe_json(id);
  const bool too_large = id.is_number_unsigned() ? id.get<uint64_t>() > static_cast<uint64_t>(kMaxTokenId)
                                                 : id.get<int64_t>() > kMaxTokenId;
  if (too_large)
    return "token id " + io::describe_json(id) + " is beyond any vocabulary (ids go up to " +
           std::to_string(kMaxTokenId) + ")";
  return "";
}

Tokenizer Tokenizer::from_file(const std::string& path) { return from_json(io::read_json_file(path), path); }

Tokenizer Tokenizer::from_json(const json& doc, const std::string& source) {
  const JsonPlace root(source);
  root.object(doc);
  Tokenizer tok;
  tok.source_ = source;

  const JsonPlace model_at = root.at("model");
  const json& model = root.required(doc, "model");
  const std::string type = model_at.type(model);
  if (type != "BPE") model_at.unsupported_type(model, "model");
  tok.model_ = BpeModel::parse(model, model_at);

  tok.normalizer_ = parse_normalizer(doc.value("normalizer", json()), root.at("normalizer"));
  tok.pre_tokenizer_ = parse_pre_tokenizer(doc.value("pre_tokenizer", json()), root.at("pre_tokenizer"));
  tok.post_processor_ = parse_post_processor(doc.value("post_processor", json()), root.at("post_processor"));
  tok.decoder_ = parse_decoder(doc.value("decoder", json()), root.at("decoder"));

  if (doc.contains("added_tokens") && !doc["added_tokens"].is_null()) {
    const JsonPlace list_at = root.at("added_tokens");
    const json& list = doc["added_tokens"];
    if (!list.is_array()) list_at.fail("expected an array, got " + io::describe_json(list));
    for (size_t i = 0; i < list.size(); ++i) {
      const JsonPlace at = list_at.at(i);
      const json& entry = at.object(list[i]);
      AddedToken token;
      const json& id = at.required(entry, "id");
      if (const std::string problem = token_id_problem(id); !problem.empty()) at.at("id").fail(problem);
      token.id = static_cast<int32_t>(id.get<int64_t>());
      token.content = at.required_string(entry, "content");
      if (token.content.empty()) at.at("content").fail("must not be empty");
      token.special = at.boolean(entry, "special", false);
      token.single_word = at.boolean(entry, "single_word", false);
      token.lstrip = at.boolean(entry, "lstrip", false);
      token.rstrip = at.boolean(entry, "rstrip", false);
      // HF's default: special tokens match raw text, other added tokens normalized text.
      token.normalized = at.boolean(entry, "normalized", !token.special);
      tok.added_.push_back(std::move(token));
    }
  }

  // The id -> token table covers the model's vocabulary and the added tokens. It is dense, so
  // one stray id near INT32_MAX would ask for tens of gigabytes: ids are bounded by kMaxTokenId
  // (token_id_problem refuses them where each is read; checked again here, before the table is
  // sized, whatever path an id came by).
  size_t size = 0;
  for (const auto& [token, id] : tok.model_->vocab()) {
    if (id > kMaxTokenId)
      root.at("model").at("vocab").at(token).fail("id " + std::to_string(id) + " is larger than the largest supported (" +
                                                  std::to_string(kMaxTokenId) + ")");
    size = std::max(size, static_cast<size_t>(id) + 1);
  }
  for (size_t i = 0; i < tok.added_.size(); ++i) {
    const int32_t id = tok.added_[i].id;
    if (id > kMaxTokenId)
      root.at("added_tokens").at(i).at("id").fail("id " + std::to_string(id) + " is larger than the largest supported (" +
                                                  std::to_string(kMaxTokenId) + ")");
    size = std::max(size, static_cast<size_t>(id) + 1);
  }
  tok.id_to_token_.assign(size, std::string());
  tok.id_kind_.assign(size, IdKind::none);
  for (const auto& [token, id] : tok.model_->vocab()) {
    tok.id_to_token_[id] = token;
    tok.id_kind_[id] = IdKind::model;
  }
  tok.raw_by_byte_.assign(256, {});
  tok.normalized_by_byte_.assign(256, {});
  for (size_t i = 0; i < tok.added_.size(); ++i) {
    const AddedToken& token = tok.added_[i];
    tok.id_to_token_[token.id] = token.content;
    tok.id_kind_[token.id] = token.special ? IdKind::special : IdKind::added;
    if (token.normalized) {
      // Normalized tokens are looked for in normalized text, so in their normalized form.
      std::string form = tok.normalizer_ ? tok.normalizer_->normalize(token.content) : token.content;
      if (!form.empty()) tok.normalized_by_byte_[static_cast<unsigned char>(form[0])].emplace_back(std::move(form), i);
    } else {
      tok.raw_by_byte_[static_cast<unsigned char>(token.content[0])].emplace_back(token.content, i);
    }
  }
  // The post-processor's special tokens are emitted as ids: ids the tokenizer does not know
  // would reach the model's embedding as out-of-range indices.
  if (tok.post_processor_)
    for (const int32_t id : tok.post_processor_->added_ids())
      if (static_cast<size_t>(id) >= size || tok.id_kind_[id] == IdKind::none)
        root.at("post_processor").fail("special token id " + std::to_string(id) +
                                       " is neither in model.vocab nor an added token");
  return tok;
}

// Whether the code point before `pos` / at `pos` is part of a word, for single_word tokens.
static bool is_word_char(char32_t cp) { return cp == '_' || u_isalnum(static_cast<UChar32>(cp)); }

static char32_t code_point_before(std::string_view text, size_t pos, size_t* start = nullptr) {
  size_t begin = pos - 1;
  while (begin > 0 && (static_cast<unsigned char>(text[begin]) & 0xC0) == 0x80) --begin;
  if (start) *start = begin;
  size_t p = begin;
  return next_code_point(text, p);
}

std::vector<Tokenizer::Match> Tokenizer::find_added(std::string_view text, bool normalized_group) const {
  const auto& by_byte = normalized_group ? normalized_by_byte_ : raw_by_byte_;
  std::vector<Match> matches;
  size_t previous_end = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const auto& bucket = by_byte[static_cast<unsigned char>(text[pos])];
    size_t best_len = 0, best = 0;
    for (const auto& [content, index] : bucket) {
      if (content.size() > best_len && text.compare(pos, content.size(), content) == 0) {
        best_len = content.size();
        best = index;
      }
    }
    if (best_len == 0) {
      ++pos;
      continue;
    }
    // Leftmost-longest and non-overlapping, like HF's Aho-Corasick matcher: a rejected match
    // still consumes its bytes.
    const AddedToken& token = added_[best];
    size_t begin = pos, end = pos + best_len;
    pos = end;
    if (token.single_word) {
      const bool left_ok = begin == 0 || !is_word_char(code_point_before(text, begin));
      size_t p = end;
      const bool right_ok = end == text.size() || !is_word_char(next_code_point(text, p));
      if (!left_ok || !right_ok) continue;
    }
    if (token.lstrip) {
      while (begin > previous_end) {
        size_t start;
        if (!is_white_space(code_point_before(text, begin, &start)) || start < previous_end) break;
        begin = start;
      }
    }
    if (token.rstrip) {
      while (end < text.size()) {
        size_t p = end;
        if (!is_white_space(next_code_point(text, p))) break;
        end = p;
      }
    }
    matches.push_back({begin, end, token.id});
    previous_end = end;
  }
  return matches;
}

void Tokenizer::encode_words(std::vector<Piece>& pieces, std::vector<int32_t>& out) const {
  if (pre_tokenizer_) pre_tokenizer_->pre_tokenize(pieces);
  for (const auto& piece : pieces) model_->tokenize(piece.text, out);
}

// One stretch of raw text between special tokens: normalize it, split out the added tokens
// that are matched after normalization, and encode the rest word by word.
void Tokenizer::encode_text(std::string_view text, bool at_start, std::vector<int32_t>& out) const {
  if (text.empty()) return;
  const std::string normalized = normalizer_ ? normalizer_->normalize(text) : std::string(text);
  size_t cursor = 0;
  std::vector<Piece> pieces;
  auto flush = [&](size_t end) {
    if (end > cursor) {
      pieces.assign(1, Piece{normalized.substr(cursor, end - cursor), at_start && cursor == 0});
      encode_words(pieces, out);
    }
  };
  for (const Match& m : find_added(normalized, true)) {
    flush(m.begin);
    out.push_back(m.id);
    cursor = m.end;
  }
  flush(normalized.size());
}

std::vector<int32_t> Tokenizer::encode_one(std::string_view text) const {
  const size_t bad = find_invalid_utf8(text);
  if (bad != std::string_view::npos)
    throw Error("cannot tokenize text that is not valid UTF-8 (invalid byte 0x" +
                [&] {
                  char hex[3];
                  std::snprintf(hex, sizeof hex, "%02X", static_cast<unsigned char>(text[bad]));
                  return std::string(hex);
                }() +
                " at offset " + std::to_string(bad) + ")");
  std::vector<int32_t> out;
  size_t cursor = 0;
  for (const Match& m : find_added(text, false)) {
    encode_text(text.substr(cursor, m.begin - cursor), cursor == 0, out);
    out.push_back(m.id);
    cursor = m.end;
  }
  encode_text(text.substr(cursor), cursor == 0, out);
  return out;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::vector<int32_t> ids = encode_one(text);
  if (!add_special_tokens || !post_processor_) return ids;
  std::vector<int32_t> out;
  for (auto& seq : post_processor_->process({std::move(ids)})) out.insert(out.end(), seq.begin(), seq.end());
  return out;
}

std::vector<int32_t> Tokenizer::encode_pair(std::string_view first, std::string_view second, bool add_special_tokens) const {
  std::vector<std::vector<int32_t>> sequences{encode_one(first), encode_one(second)};
  if (add_special_tokens && post_processor_) sequences = post_processor_->process(std::move(sequences));
  std::vector<int32_t> out;
  for (const auto& seq : sequences) out.insert(out.end(), seq.begin(), seq.end());
  return out;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size()) continue;
    const IdKind kind = id_kind_[id];
    if (kind == IdKind::none || (skip_special_tokens && kind == IdKind::special)) continue;
    tokens.push_back(id_to_token_[id]);
  }
  // No tokens decode to nothing. Hugging Face runs the decoders anyway, and some invent text
  // from nothing (Fuse makes one empty token, a Replace matching "" fills it), which would show
  // a padding id a model sampled past the vocabulary as a stray character.
  if (tokens.empty()) return {};
  if (!decoder_) {
    std::string out;
    for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
    return out;
  }
  std::string out;
  for (const auto& piece : decoder_->decode_chain(std::move(tokens))) out += piece;
  return out;
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  for (const auto& added : added_)
    if (added.content == token) return added.id;
  return model_->token_to_id(token);
}

std::optional<std::string> Tokenizer::id_to_token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size() || id_kind_[id] == IdKind::none) return std::nullopt;
  return id_to_token_[id];
}

bool Tokenizer::is_special(int32_t id) const {
  return id >= 0 && static_cast<size_t>(id) < id_kind_.size() && id_kind_[id] == IdKind::special;
}

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens)
    : tokenizer_(tokenizer), skip_special_(skip_special_tokens) {}

std::string StreamDecoder::step(int32_t id) {
  // A skipped special token decodes to nothing and changes no context: keeping it would make
  // every later step re-decode a growing list (quadratic on a model that emits thousands).
  if (skip_special_ && tokenizer_.is_special(id)) return {};
  ids_.push_back(id);
  const std::string text = tokenizer_.decode(ids_, skip_special_);
  // A trailing U+FFFD means the last bytes do not form a character yet: wait for more. A UTF-8
  // character is at most 4 bytes, so after more ids than that the bytes are invalid for good:
  // show them as U+FFFD rather than re-decode an ever longer tail.
  static const std::string kReplacement = "\xEF\xBF\xBD";
  constexpr size_t kLongestCharacterInIds = 4;
  const bool unfinished = text.size() >= 3 && text.compare(text.size() - 3, 3, kReplacement) == 0 &&
                          ids_.size() - prefix_index_ <= kLongestCharacterInIds;
  if (text.size() <= prefix_.size() || unfinished) return {};
  // Decoding more ids can rewrite earlier text only in exotic decoders; keep what was shown.
  std::string fresh = text.compare(0, prefix_.size(), prefix_) == 0 ? text.substr(prefix_.size()) : std::string();
  // Keep the ids since the previous emission as context for the next step, so decoders whose
  // output depends on the first token (Metaspace strips its leading space) stay consistent.
  const size_t new_prefix_index = ids_.size() - prefix_index_;
  ids_.erase(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(prefix_index_));
  prefix_ = tokenizer_.decode(ids_, skip_special_);
  prefix_index_ = new_prefix_index;
  return fresh;
}

std::string StreamDecoder::flush() {
  const std::string text = tokenizer_.decode(ids_, skip_special_);
  std::string rest = text.size() > prefix_.size() && text.compare(0, prefix_.size(), prefix_) == 0
                         ? text.substr(prefix_.size())
                         : std::string();
  ids_.clear();
  prefix_.clear();
  prefix_index_ = 0;
  return rest;
}

}  // namespace tpt::text
