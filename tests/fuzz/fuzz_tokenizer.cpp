// tokenizer.json (text/tokenizer.h): the whole pipeline as the document configures it (added
// tokens, normalizer, pre-tokenizer patterns, BPE model, post-processor, decoder). The input is
// the document, then (after a NUL byte) a text to encode. Checked: encoding gives ids the
// tokenizer knows, decoding them and streaming them back run, and an id beyond the vocabulary
// decodes to nothing (as documented).
#include <optional>

#include "core/error.h"
#include "fuzz_support.h"
#include "io/json_parse.h"
#include "text/tokenizer.h"

using namespace tpt;

namespace {

void round_trip(const text::Tokenizer& tok, std::string_view input, bool add_special_tokens) {
  std::vector<int32_t> ids;
  try {
    ids = tok.encode(input, add_special_tokens);
  } catch (const Error&) {
    return;  // not valid UTF-8, as documented
  }
  for (int32_t id : ids) {
    FUZZ_EXPECT(id >= 0 && static_cast<size_t>(id) < tok.vocab_size() && tok.id_to_token(id),
                "encode gave id " + std::to_string(id) + " the tokenizer does not know");
  }
  (void)tok.decode(ids, false);
  (void)tok.decode(ids, true);
  text::StreamDecoder stream(tok);
  for (int32_t id : ids) (void)stream.step(id);
  (void)stream.flush();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [document, input] = fuzz::split_at_nul(fuzz::as_text(data, size));
  nlohmann::json doc;
  try {
    doc = io::parse_json_bounded(document);
  } catch (const nlohmann::json::parse_error&) {
    return 0;
  }
  std::optional<text::Tokenizer> tok;
  try {
    tok.emplace(text::Tokenizer::from_json(doc, "tokenizer.json"));
  } catch (const Error&) {
    return 0;
  }
  round_trip(*tok, input, false);
  round_trip(*tok, input, true);
  (void)tok->encode_pair("Janet has 3 ducks", "and 4 geese", true);
  const auto unknown = static_cast<int32_t>(std::min<size_t>(tok->vocab_size(), INT32_MAX));
  FUZZ_EXPECT(tok->decode({unknown}).empty(), "an id past the vocabulary decodes to text");
  return 0;
}
