// The whole tokenizer on small hand-made tokenizer.json documents: a byte-level BPE shaped
// like Llama 3's, BPE options (ignore_merges, unk/fuse_unk, subword prefixes, merge formats),
// added tokens (special, lstrip/rstrip, single_word, normalized), streaming decode, and the
// errors a malformed file gives.
#include <fstream>
#include <string>
#include <vector>

#include "check.h"
#include "text/model_tokenizer.h"
#include "text/pre_tokenizer.h"
#include "text/tokenizer.h"
#include "text/utf8.h"

using namespace tpt::text;
using nlohmann::json;
using Ids = std::vector<int32_t>;

namespace {

std::string show(const Ids& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? ", " : "") + std::to_string(ids[i]);
  return out + "]";
}

#define COMPARE_IDS(actual, ...) COMPARE(show(actual), show(Ids{__VA_ARGS__}))

const char* const kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

json added_token(int id, const std::string& content, bool special = true) {
  return {{"id", id},          {"content", content}, {"single_word", false}, {"lstrip", false},
          {"rstrip", false},   {"normalized", false}, {"special", special}};
}

// A Llama-3-shaped byte-level BPE: ids 0-255 are the bytes (GPT-2 alphabet), then
// 256 "Ġt", 257 "he", 258 "Ġthe", 259 <|begin_of_text|>, 260 <|eot_id|>.
json byte_level_doc() {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_to_unicode(static_cast<unsigned char>(b))] = b;
  vocab["\xC4\xA0t"] = 256;
  vocab["he"] = 257;
  vocab["\xC4\xA0the"] = 258;
  return {
      {"version", "1.0"},
      {"added_tokens", {added_token(259, "<|begin_of_text|>"), added_token(260, "<|eot_id|>")}},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"}, {"pattern", {{"Regex", kLlama3Pattern}}}, {"behavior", "Isolated"}, {"invert", false}},
          {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}}}}},
      {"post_processor",
       {{"type", "Sequence"},
        {"processors",
         {{{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}, {"use_regex", true}},
          {{"type", "TemplateProcessing"},
           {"single",
            {{{"SpecialToken", {{"id", "<|begin_of_text|>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
           {"pair",
            {{{"SpecialToken", {{"id", "<|begin_of_text|>"}, {"type_id", 0}}}},
             {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
             {{"SpecialToken", {{"id", "<|begin_of_text|>"}, {"type_id", 1}}}},
             {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}}},
           {"special_tokens",
            {{"<|begin_of_text|>", {{"id", "<|begin_of_text|>"}, {"ids", {259}}, {"tokens", {"<|begin_of_text|>"}}}}}}}}}}},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", true},
        {"vocab", vocab},
        {"merges", {"\xC4\xA0 t", "h e", "\xC4\xA0t he"}}}}};
}

const Tokenizer& byte_level() {
  static const Tokenizer tok = Tokenizer::from_json(byte_level_doc(), "tokenizer.json");
  return tok;
}

// A minimal BPE document for model options: no normalizer or pre-tokenizer.
json plain_doc(json vocab, json merges) {
  return {{"model",
           {{"type", "BPE"}, {"vocab", std::move(vocab)}, {"merges", std::move(merges)}, {"ignore_merges", false}}},
          {"decoder", {{"type", "Fuse"}}}};
}

Tokenizer load(const json& doc) { return Tokenizer::from_json(doc, "tokenizer.json"); }

}  // namespace

TPT_TEST(text_tokenizer, byte_level_bpe_applies_merges_by_rank) {
  // "the" -> t + he; " theme" -> Ġt he m e -> Ġthe m e.
  COMPARE_IDS(byte_level().encode("the theme"), 't', 257, 258, 'm', 'e');
}

TPT_TEST(text_tokenizer, add_special_tokens_runs_the_post_processor) {
  COMPARE_IDS(byte_level().encode("the", true), 259, 't', 257);
  COMPARE_IDS(byte_level().encode("", true), 259);
  COMPARE_IDS(byte_level().encode("", false));
  COMPARE_IDS(byte_level().encode_pair("a", "b", true), 259, 'a', 259, 'b');
}

TPT_TEST(text_tokenizer, special_tokens_in_text_are_recognised_without_add_special_tokens) {
  COMPARE_IDS(byte_level().encode("a<|eot_id|>b"), 'a', 260, 'b');
  COMPARE_IDS(byte_level().encode("<|eot_id|><|eot_id|>"), 260, 260);
  // Not quite a special token: plain text.
  COMPARE_IDS(byte_level().encode("<|eot_id"), '<', '|', 'e', 'o', 't', '_', 'i', 'd');
}

TPT_TEST(text_tokenizer, decode_inverts_encode_and_can_skip_special_tokens) {
  const std::string text = "the theme\n\n  naïve café 你好 😀 <|eot_id|> $1,234\r\n";
  const Ids ids = byte_level().encode(text, true);
  COMPARE(byte_level().decode(ids), "<|begin_of_text|>" + text);
  COMPARE(byte_level().decode(ids, true), std::string("the theme\n\n  naïve café 你好 😀  $1,234\r\n"));
  // Unknown ids are skipped, as in HF.
  COMPARE(byte_level().decode({'a', 99999, -1, 'b'}), std::string("ab"));
}

TPT_TEST(text_tokenizer, ids_that_name_no_token_decode_to_nothing_whatever_the_decoder) {
  // Found by fuzz_tokenizer: Fuse turns no tokens into one empty token, and a Replace whose
  // pattern matches the empty string then writes its content into it, so a padding id past the
  // vocabulary (which a model whose embedding table is larger can sample) printed text.
  json doc = plain_doc({{"a", 0}, {"b", 1}}, json::array());
  doc["decoder"] = {{"type", "Sequence"},
                    {"decoders",
                     {{{"type", "Fuse"}}, {{"type", "Replace"}, {"pattern", {{"Regex", " ?"}}}, {"content", "_"}}}}};
  const Tokenizer tok = load(doc);
  COMPARE(tok.decode({99}), std::string());
  COMPARE(tok.decode({}), std::string());
  // Known tokens still go through the decoders: Python's re.sub(" ?", "_", "ab") is "_a_b_".
  COMPARE(tok.decode({0, 99, 1}), std::string("_a_b_"));
}

TPT_TEST(text_tokenizer, ids_and_tokens_look_each_other_up) {
  COMPARE(byte_level().token_to_id("<|eot_id|>").value_or(-1), 260);
  COMPARE(byte_level().token_to_id("he").value_or(-1), 257);
  VERIFY(!byte_level().token_to_id("nope"));
  COMPARE(byte_level().id_to_token(258).value_or(""), std::string("\xC4\xA0the"));
  VERIFY(byte_level().is_special(259));
  VERIFY(!byte_level().is_special(258));
  COMPARE(byte_level().vocab_size(), size_t(261));
}

TPT_TEST(text_tokenizer, invalid_utf8_input_is_refused_with_its_offset) {
  VERIFY_THROWS_WITH(byte_level().encode(std::string("ab\xFF")), "not valid UTF-8 (invalid byte 0xFF at offset 2)");
}

TPT_TEST(text_bpe, ignore_merges_takes_a_word_in_the_vocabulary_whole) {
  json doc = plain_doc({{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"abc", 4}}, {"a b"});
  COMPARE_IDS(load(doc).encode("abc"), 3, 2);
  doc["model"]["ignore_merges"] = true;
  COMPARE_IDS(load(doc).encode("abc"), 4);
  COMPARE_IDS(load(doc).encode("abcab"), 3, 2, 3);
}

TPT_TEST(text_bpe, merges_as_strings_and_as_pairs_mean_the_same) {
  const json vocab = {{"a", 0}, {"b", 1}, {"ab", 2}, {"abb", 3}};
  COMPARE_IDS(load(plain_doc(vocab, {"a b", "ab b"})).encode("abbab"), 3, 2);
  COMPARE_IDS(load(plain_doc(vocab, json::array({json::array({"a", "b"}), json::array({"ab", "b"})}))).encode("abbab"), 3, 2);
}

TPT_TEST(text_bpe, lower_rank_merges_win_and_ties_go_left) {
  const json vocab = {{"a", 0}, {"b", 1}, {"ab", 2}, {"ba", 3}, {"aa", 4}};
  // "b a" outranks "a b": "aba" -> a + ba.
  COMPARE_IDS(load(plain_doc(vocab, {"b a", "a b"})).encode("aba"), 0, 3);
  COMPARE_IDS(load(plain_doc(vocab, {"a b", "b a"})).encode("aba"), 2, 0);
  // "aaa": the leftmost pair merges first.
  COMPARE_IDS(load(plain_doc(vocab, {"a a"})).encode("aaa"), 4, 0);
}

TPT_TEST(text_bpe, unknown_characters_become_unk_fused_when_asked) {
  json doc = plain_doc({{"<unk>", 0}, {"a", 1}, {"b", 2}}, json::array());
  doc["model"]["unk_token"] = "<unk>";
  COMPARE_IDS(load(doc).encode("axyb"), 1, 0, 0, 2);
  doc["model"]["fuse_unk"] = true;
  COMPARE_IDS(load(doc).encode("axyb"), 1, 0, 2);
  // Without an unk token, unknown characters are dropped.
  COMPARE_IDS(load(plain_doc({{"a", 0}}, json::array())).encode("xa"), 0);
}

TPT_TEST(text_bpe, continuing_subword_prefix_and_end_of_word_suffix_mark_word_parts) {
  json doc = plain_doc({{"a", 0}, {"##b", 1}, {"##c", 2}, {"ab", 3}, {"##bc", 4}}, {"a ##b", "##b ##c"});
  doc["model"]["continuing_subword_prefix"] = "##";
  COMPARE_IDS(load(doc).encode("ab"), 3);
  COMPARE_IDS(load(doc).encode("abc"), 3, 2);  // "a ##b" has the better rank

  json suffix = plain_doc({{"a", 0}, {"b</w>", 1}, {"ab</w>", 2}}, {"a b</w>"});
  suffix["model"]["end_of_word_suffix"] = "</w>";
  COMPARE_IDS(load(suffix).encode("ab"), 2);
}

TPT_TEST(text_added_tokens, lstrip_and_rstrip_absorb_surrounding_whitespace) {
  json doc = plain_doc({{" ", 0}, {"a", 1}, {"b", 2}}, json::array());
  json mask = added_token(10, "<mask>");
  mask["lstrip"] = true;
  mask["rstrip"] = true;
  doc["added_tokens"] = {mask};
  COMPARE_IDS(load(doc).encode("a  <mask>  b"), 1, 10, 2);
  doc["added_tokens"][0]["rstrip"] = false;
  COMPARE_IDS(load(doc).encode("a  <mask>  b"), 1, 10, 0, 0, 2);
}

TPT_TEST(text_added_tokens, single_word_tokens_match_only_outside_words) {
  json doc = plain_doc({{" ", 0}, {"a", 1}, {"x", 2}}, json::array());
  json token = added_token(10, "x", false);
  token["single_word"] = true;
  doc["added_tokens"] = {token};
  COMPARE_IDS(load(doc).encode("a x"), 1, 0, 10);
  COMPARE_IDS(load(doc).encode("ax"), 1, 2);
}

TPT_TEST(text_added_tokens, the_longest_token_at_the_leftmost_position_wins) {
  json doc = plain_doc({{"a", 0}}, json::array());
  doc["added_tokens"] = {added_token(10, "<x>"), added_token(11, "<x><y>"), added_token(12, "<y>")};
  COMPARE_IDS(load(doc).encode("<x><y>a<y><x>"), 11, 0, 12, 10);
}

TPT_TEST(text_added_tokens, normalized_tokens_are_matched_after_normalization) {
  json doc = plain_doc({{"\xE2\x96\x81", 0}, {"a", 1}}, json::array());
  doc["normalizer"] = {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\xE2\x96\x81"}};
  json token = added_token(10, "a a", false);
  token["normalized"] = true;
  doc["added_tokens"] = {token};
  // The token's own content is normalized too ("a▁a"), so it still matches.
  COMPARE_IDS(load(doc).encode("a a a"), 10, 0, 1);
}

TPT_TEST(text_stream, stream_decoder_emits_only_complete_characters) {
  const Tokenizer& tok = byte_level();
  const std::string text = "the € costs 5€, naïve 😀!";
  const Ids ids = tok.encode(text);
  StreamDecoder stream(tok);
  std::string shown;
  int empty_steps = 0;
  for (int32_t id : ids) {
    const std::string piece = stream.step(id);
    VERIFY(piece.find("\xEF\xBF\xBD") == std::string::npos);
    VERIFY(find_invalid_utf8(piece) == std::string::npos);
    if (piece.empty()) ++empty_steps;
    shown += piece;
  }
  shown += stream.flush();
  COMPARE(shown, text);
  // "€" twice and "😀" arrive as 3 + 3 + 4 byte tokens, plus "ï"'s 2: 2 + 2 + 3 + 1 steps wait.
  COMPARE(empty_steps, 8);
}

TPT_TEST(text_stream, flush_shows_an_unfinished_character_as_a_replacement) {
  StreamDecoder stream(byte_level());
  COMPARE(stream.step('a'), std::string("a"));
  COMPARE(stream.step(0xE2), std::string());
  COMPARE(stream.flush(), std::string("\xEF\xBF\xBD"));
}

TPT_TEST(text_stream, bytes_that_can_never_form_a_character_are_shown_without_waiting_for_the_end) {
  // A model emitting invalid bytes (0xFF is never part of UTF-8) used to be held back until
  // flush, each step re-decoding the whole growing tail.
  StreamDecoder stream(byte_level());
  std::string shown = stream.step('a');
  for (int i = 0; i < 12; ++i) shown += stream.step(0xFF);
  const std::string replacement = "\xEF\xBF\xBD";
  VERIFY(shown.size() >= 1 + 8 * replacement.size());  // most of it before the end
  shown += stream.step('b');
  shown += stream.flush();
  std::string expected = "a";
  for (int i = 0; i < 12; ++i) expected += replacement;
  COMPARE(shown, expected + "b");
}

TPT_TEST(text_stream, skip_special_tokens_leaves_them_out_of_the_stream) {
  StreamDecoder stream(byte_level(), true);
  std::string shown;
  for (int32_t id : byte_level().encode("hi<|eot_id|>", true)) shown += stream.step(id);
  COMPARE(shown + stream.flush(), std::string("hi"));
  // Thousands of them between two characters: both still arrive, each as soon as it is complete.
  StreamDecoder many(byte_level(), true);
  COMPARE(many.step(0xC3), std::string());
  for (int i = 0; i < 5000; ++i) COMPARE(many.step(260), std::string());
  COMPARE(many.step(0xA9), std::string("\xC3\xA9"));
}

TPT_TEST(text_utf8, complete_prefix_stops_before_an_unfinished_character) {
  COMPARE(complete_utf8_prefix("ab\xE2\x82"), size_t(2));
  COMPARE(complete_utf8_prefix("ab\xE2\x82\xAC"), size_t(5));
  COMPARE(complete_utf8_prefix("\xF0\x9F\x98"), size_t(0));
  COMPARE(complete_utf8_prefix("a\xFF"), size_t(2));  // invalid, not unfinished: nothing to wait for
}

TPT_TEST(text_utf8, lossy_conversion_replaces_each_broken_sequence_once) {
  COMPARE(utf8_lossy("a\xE2\x82" "b"), std::string("a\xEF\xBF\xBD" "b"));
  COMPARE(utf8_lossy("\xFF\xFE"), std::string("\xEF\xBF\xBD\xEF\xBF\xBD"));
  COMPARE(utf8_lossy("ok \xE2\x82\xAC"), std::string("ok \xE2\x82\xAC"));
}

TPT_TEST(text_utf8, python_strip_removes_unicode_whitespace_at_both_ends) {
  COMPARE(python_strip("  \t\nhi there\xE3\x80\x80\n"), std::string("hi there"));
  COMPARE(python_strip("\xC2\xA0"), std::string());
  COMPARE(python_strip("x"), std::string("x"));
}

// --- errors -----------------------------------------------------------------------------

TPT_TEST(text_errors, a_file_without_a_model_names_the_missing_field) {
  VERIFY_THROWS_WITH(load(json{{"version", "1.0"}}), "tokenizer.json: model: required field is missing");
}

TPT_TEST(text_errors, an_unsupported_model_type_is_named) {
  VERIFY_THROWS_WITH(load(json{{"model", {{"type", "WordPiece"}, {"vocab", json::object()}}}}),
                     "tokenizer.json: model.type: unsupported model \"WordPiece\"");
}

TPT_TEST(text_errors, a_bad_merges_entry_is_reported_with_its_index) {
  const json vocab = {{"a", 0}, {"b", 1}, {"ab", 2}};
  VERIFY_THROWS_WITH(load(plain_doc(vocab, {"a b", 17})), "tokenizer.json: model.merges[1]: expected \"a b\" or [\"a\", \"b\"], got 17");
  VERIFY_THROWS_WITH(load(plain_doc(vocab, {"a b c"})), "model.merges[0]: expected \"a b\" (two tokens and one space)");
  VERIFY_THROWS_WITH(load(plain_doc(vocab, {"a z"})), "model.merges[0]: token \"z\" is not in model.vocab");
  VERIFY_THROWS_WITH(load(plain_doc(vocab, {"b a"})), "model.merges[0]: merged token \"ba\" is not in model.vocab");
}

TPT_TEST(text_errors, a_bad_vocab_entry_or_unk_token_is_named) {
  VERIFY_THROWS_WITH(load(plain_doc({{"a", "zero"}}, json::array())), "tokenizer.json: model.vocab.a: expected a token id");
  json doc = plain_doc({{"a", 0}}, json::array());
  doc["model"]["unk_token"] = "<unk>";
  VERIFY_THROWS_WITH(load(doc), "model.unk_token: \"<unk>\" is not in model.vocab");
}

TPT_TEST(text_errors, unsupported_components_are_named_with_their_path) {
  json doc = plain_doc({{"a", 0}}, json::array());
  doc["pre_tokenizer"] = {{"type", "Sequence"},
                          {"pretokenizers", {{{"type", "ByteLevel"}}, {{"type", "Whitespace"}}}}};
  VERIFY_THROWS_WITH(load(doc), "tokenizer.json: pre_tokenizer.pretokenizers[1].type: unsupported pre-tokenizer \"Whitespace\"");
  doc = plain_doc({{"a", 0}}, json::array());
  doc["normalizer"] = {{"type", "BertNormalizer"}};
  VERIFY_THROWS_WITH(load(doc), "normalizer.type: unsupported normalizer \"BertNormalizer\"");
  doc = plain_doc({{"a", 0}}, json::array());
  doc["decoder"] = {{"type", "WordPiece"}};
  VERIFY_THROWS_WITH(load(doc), "decoder.type: unsupported decoder \"WordPiece\"");
  doc = plain_doc({{"a", 0}}, json::array());
  doc["post_processor"] = {{"type", "BertProcessing"}};
  VERIFY_THROWS_WITH(load(doc), "post_processor.type: unsupported post-processor \"BertProcessing\"");
}

TPT_TEST(text_errors, malformed_components_are_named_with_their_path) {
  json doc = plain_doc({{"a", 0}}, json::array());
  doc["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  VERIFY_THROWS_WITH(load(doc), "tokenizer.json: pre_tokenizer.pattern.Regex: invalid regex at offset");
  doc["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"String", "x"}}}, {"behavior", "Sideways"}};
  VERIFY_THROWS_WITH(load(doc), "pre_tokenizer.behavior: unsupported split behavior \"Sideways\"");
  doc["pre_tokenizer"] = {{"pattern", {{"String", "x"}}}};
  VERIFY_THROWS_WITH(load(doc), "pre_tokenizer.type: required field is missing");
  doc = plain_doc({{"a", 0}}, json::array());
  doc["post_processor"] = {{"type", "TemplateProcessing"},
                           {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}}},
                           {"special_tokens", json::object()}};
  VERIFY_THROWS_WITH(load(doc), "post_processor.single[0].SpecialToken.id: \"<s>\" is not listed in post_processor.special_tokens");
  doc = plain_doc({{"a", 0}}, json::array());
  doc["added_tokens"] = {{{"content", "<s>"}}};
  VERIFY_THROWS_WITH(load(doc), "tokenizer.json: added_tokens[0].id: required field is missing");
}

TPT_TEST(text_errors, files_that_are_missing_or_not_json_name_the_file) {
  VERIFY_THROWS_WITH(Tokenizer::from_file(tpt::testing::temp_dir() + "/absent.json"), "absent.json: cannot open file");
  const std::string path = tpt::testing::temp_dir() + "/broken.json";
  std::ofstream(path) << "{\n  \"model\": {\n    \"type\": \"BPE\",,\n";
  VERIFY_THROWS_WITH(Tokenizer::from_file(path), "broken.json:3: invalid JSON");
}

TPT_TEST(text_tokenizer, post_processor_ids_the_tokenizer_does_not_know_are_refused) {
  // A template's special token that is not an added token would be emitted as an id the model's
  // embedding does not have.
  json doc = byte_level_doc();
  doc["added_tokens"] = json::array({added_token(260, "<|eot_id|>")});
  doc["post_processor"]["processors"][1]["special_tokens"]["<|begin_of_text|>"]["ids"] = {259};
  VERIFY_THROWS_WITH(load(doc), "tokenizer.json: post_processor: special token id 259 is neither in model.vocab nor an added token");
  doc["post_processor"]["processors"][1]["special_tokens"]["<|begin_of_text|>"]["ids"] = {4294967296LL};
  VERIFY_THROWS_WITH(load(doc), "expected a token id");
}

TPT_TEST(text_tokenizer, an_id_far_beyond_any_vocabulary_is_refused_not_allocated) {
  // The id table is dense: id 2^31 - 1 would have asked for tens of gigabytes.
  json doc = byte_level_doc();
  doc["added_tokens"].push_back(added_token(2147483647, "<|huge|>"));
  VERIFY_THROWS_WITH(load(doc), "tokenizer.json: added_tokens[2].id: token id 2147483647 is beyond any vocabulary");
  doc = byte_level_doc();
  doc["model"]["vocab"]["far"] = 16777216;
  VERIFY_THROWS_WITH(load(doc), "model.vocab.far: token id 16777216 is beyond any vocabulary");
}

TPT_TEST(text_errors, a_token_id_beyond_any_vocabulary_is_refused_before_its_table_is_built) {
  // The id -> token table is as long as the largest id: 2^31 - 1 once asked for 64 GiB.
  json doc = plain_doc({{"a", 0}}, json::array());
  doc["added_tokens"] = {{{"id", 2147483647}, {"content", "<huge>"}, {"special", true}}};
  VERIFY_THROWS_WITH(load(doc), "added_tokens[0].id: token id 2147483647 is beyond any vocabulary (ids go up to 16777215)");
  doc = plain_doc({{"a", 0}, {"b", 99999999}}, json::array());
  VERIFY_THROWS_WITH(load(doc), "model.vocab.b: token id 99999999 is beyond any vocabulary");
  doc = plain_doc({{"a", 0}, {"b", 300000}}, json::array());  // gaps are fine
  COMPARE(load(doc).vocab_size(), size_t{300001});
}

TPT_TEST(text_errors, a_tokenizer_that_does_not_fit_a_models_vocabulary_is_named) {
  json doc = plain_doc({{"a", 0}, {"b", 1}, {"c", 70}}, json::array());
  const Tokenizer tok = load(doc);
  VERIFY_THROWS_WITH(check_tokenizer_fits_model(tok, 64, "m/config.json"),
                     "tokenizer.json: token \"c\" has id 70, but the model has only 64 token embeddings (vocab_size in "
                     "m/config.json): this tokenizer does not belong to this model");
  check_tokenizer_fits_model(tok, 71, "m/config.json");
  // A post-processor's special token outside the vocabulary is refused when the tokenizer loads.
  doc = plain_doc({{"a", 0}}, json::array());
  doc["post_processor"] = {{"type", "TemplateProcessing"},
                           {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
                           {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {90}}, {"tokens", {"<s>"}}}}}}};
  VERIFY_THROWS_WITH(load(doc), "post_processor: special token id 90 is neither in model.vocab nor an added token");
}
