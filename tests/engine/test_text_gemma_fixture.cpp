// The SentencePiece-style path (Gemma 2's tokenizer.json shape: "▁" for spaces, byte
// fallback, no pre-tokenizer) on the hand-written fixture tests/fixtures/tokenizers/gemma-style,
// and loading a model folder (tokenizer_config.json, generation_config.json) around it.
// Ids: 0-5 specials, 6 + byte for <0xNN>, 262.. "▁ h e l o w r d t a", 272.. "▁h ll he ▁he
// ▁hell ▁hello ▁w or ▁wor ld ▁world", 283 "é" (see the fixture's README).
#include <fstream>
#include <string>
#include <vector>

#include "check.h"
#include "core/error.h"
#include "text/model_tokenizer.h"
#include "text/tokenizer.h"

using namespace tpt::text;
using Ids = std::vector<int32_t>;

namespace {

const std::string kFolder = std::string(TPT_SOURCE_DIR) + "/tests/fixtures/tokenizers/gemma-style";

const Tokenizer& gemma() {
  static const Tokenizer tok = Tokenizer::from_file(kFolder + "/tokenizer.json");
  return tok;
}

std::string show(const Ids& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? ", " : "") + std::to_string(ids[i]);
  return out + "]";
}

#define COMPARE_IDS(actual, ...) COMPARE(show(actual), show(Ids{__VA_ARGS__}))

int byte_id(unsigned char b) { return 6 + b; }

}  // namespace

TPT_TEST(text_gemma, spaces_become_markers_and_merges_build_words) {
  // "hello▁world": h e l l o ▁ w o r l d -> he ll o ▁world (no merge makes "hello" without "▁").
  COMPARE_IDS(gemma().encode("hello world"), 274, 273, 266, 282);
  COMPARE_IDS(gemma().encode(" hello"), 277);
  COMPARE_IDS(gemma().encode("hello world", true), 2, 274, 273, 266, 282);
}

TPT_TEST(text_gemma, characters_outside_the_vocabulary_fall_back_to_bytes) {
  COMPARE_IDS(gemma().encode("hi"), 263, byte_id('i'));
  // "€" is E2 82 AC.
  COMPARE_IDS(gemma().encode("\xE2\x82\xAC"), byte_id(0xE2), byte_id(0x82), byte_id(0xAC));
  // "é" is a token of its own.
  COMPARE_IDS(gemma().encode("\xC3\xA9"), 283);
  COMPARE_IDS(gemma().encode("a\nb"), 271, byte_id('\n'), byte_id('b'));
}

TPT_TEST(text_gemma, decode_fuses_bytes_back_into_text) {
  COMPARE(gemma().decode({byte_id(0xE2), byte_id(0x82), byte_id(0xAC)}), std::string("\xE2\x82\xAC"));
  COMPARE(gemma().decode({2, 277, 282, byte_id('!')}), std::string("<bos> hello world!"));
  COMPARE(gemma().decode({2, 277, 282, byte_id('!')}, true), std::string(" hello world!"));
  // An unfinished character: one U+FFFD per byte, as HF's ByteFallback decoder does.
  COMPARE(gemma().decode({263, byte_id(0xE2), byte_id(0x82)}), std::string("h\xEF\xBF\xBD\xEF\xBF\xBD"));
}

TPT_TEST(text_gemma, round_trip_keeps_any_text) {
  for (const std::string text : {"hello world", "  leading", "trailing  ", "naïve € 😀 你好", "a\tb\r\nc", ""}) {
    COMPARE(gemma().decode(gemma().encode(text)), text);
  }
}

TPT_TEST(text_gemma, special_tokens_are_split_out_first) {
  COMPARE_IDS(gemma().encode("<start_of_turn>hello<end_of_turn>"), 4, 274, 273, 266, 5);
}

TPT_TEST(text_gemma, stream_decoder_waits_for_the_last_byte_of_a_character) {
  StreamDecoder stream(gemma());
  COMPARE(stream.step(277), std::string(" hello"));
  COMPARE(stream.step(byte_id(0xE2)), std::string());
  COMPARE(stream.step(byte_id(0x82)), std::string());
  COMPARE(stream.step(byte_id(0xAC)), std::string("\xE2\x82\xAC"));
  COMPARE(stream.step(282), std::string(" world"));
  COMPARE(stream.flush(), std::string());
}

TPT_TEST(text_model_tokenizer, loads_special_ids_stop_ids_and_chat_family_from_the_folder) {
  const ModelTokenizer model = load_model_tokenizer(kFolder);
  COMPARE(model.bos_id.value_or(-1), 2);
  COMPARE(model.eos_id.value_or(-1), 1);
  COMPARE(model.pad_id.value_or(-1), 0);
  COMPARE(show(model.stop_ids), show({1, 5}));
  VERIFY(model.is_stop(5));
  VERIFY(!model.is_stop(2));
  VERIFY(model.add_bos_token);
  VERIFY(model.chat_family == ChatFamily::gemma2);
}

TPT_TEST(text_model_tokenizer, a_chat_prompt_holds_bos_once) {
  const ModelTokenizer model = load_model_tokenizer(kFolder);
  // "<bos><start_of_turn>user\nhello<end_of_turn>\n<start_of_turn>model\n": "user\nhello" is
  // u s (bytes) e r \n (byte) he ll o; "model\n" is m (byte) o d e l \n (byte).
  COMPARE_IDS(model.encode_chat({{"user", "hello"}}), 2, 4, byte_id('u'), byte_id('s'), 264, 268, byte_id('\n'), 274, 273,
              266, 5, byte_id('\n'), 4, byte_id('m'), 266, 269, 264, 265, byte_id('\n'));
  COMPARE_IDS(model.encode_prompt("hello"), 2, 274, 273, 266);
}

TPT_TEST(text_model_tokenizer, eos_may_be_one_id_and_configs_are_optional) {
  const std::string dir = tpt::testing::temp_dir() + "/eos-int";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kFolder + "/tokenizer.json", dir + "/tokenizer.json");
  std::ofstream(dir + "/generation_config.json") << R"({"eos_token_id": 1, "bos_token_id": 2})";
  const ModelTokenizer model = load_model_tokenizer(dir);
  COMPARE(show(model.stop_ids), show({1}));
  COMPARE(model.bos_id.value_or(-1), 2);
  VERIFY(model.add_bos_token);  // the post-processor adds <bos>
  VERIFY(!model.chat_family);
  VERIFY_THROWS_WITH(model.encode_chat({{"user", "x"}}), "no chat template recognised");
}

TPT_TEST(text_model_tokenizer, bad_configs_name_the_file_and_field) {
  const std::string dir = tpt::testing::temp_dir() + "/bad-eos";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kFolder + "/tokenizer.json", dir + "/tokenizer.json");
  std::ofstream(dir + "/generation_config.json") << R"({"eos_token_id": [1, "two"]})";
  VERIFY_THROWS_WITH(load_model_tokenizer(dir), "generation_config.json: eos_token_id[1]: expected a token id, got \"two\"");
  std::ofstream(dir + "/generation_config.json") << R"({"eos_token_id": 999999})";
  VERIFY_THROWS_WITH(load_model_tokenizer(dir), "eos_token_id: token id 999999 is outside the tokenizer's vocabulary");
  std::ofstream(dir + "/generation_config.json") << "{}";
  std::ofstream(dir + "/tokenizer_config.json") << R"({"eos_token": {"content": "<nope>"}})";
  VERIFY_THROWS_WITH(load_model_tokenizer(dir), "tokenizer_config.json: eos_token: \"<nope>\" is not a token of");
  VERIFY_THROWS_WITH(load_model_tokenizer(tpt::testing::temp_dir() + "/nowhere"), "no tokenizer.json in this folder");
}
