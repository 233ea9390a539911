// Tokenizer components one at a time: normalizers, pre-tokenizers (every Split behaviour,
// ByteLevel, Metaspace), decoders and post-processors, with hand-checked expectations.
#include <string>
#include <vector>

#include "check.h"
#include "text/normalizer.h"
#include "text/post_processor.h"
#include "text/pre_tokenizer.h"
#include "text/token_decoder.h"

using namespace tpt::text;
using nlohmann::json;

namespace {

const JsonPlace kAt("tokenizer.json", "pre_tokenizer");

std::vector<std::string> pre_tokenize(const json& config, const std::string& text, bool at_start = true) {
  auto pre = parse_pre_tokenizer(config, kAt);
  std::vector<Piece> pieces{{text, at_start}};
  pre->pre_tokenize(pieces);
  std::vector<std::string> out;
  for (auto& p : pieces) out.push_back(p.text);
  return out;
}

std::vector<std::string> split(const std::string& behavior, bool invert = false) {
  return pre_tokenize({{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", behavior}, {"invert", invert}},
                      "the-final--countdown");
}

std::vector<std::string> decode_chain(const json& config, std::vector<std::string> tokens) {
  return parse_decoder(config, JsonPlace("tokenizer.json", "decoder"))->decode_chain(std::move(tokens));
}

using Strings = std::vector<std::string>;

std::string show(const Strings& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", \"" : "\"") + v[i] + "\"";
  return out + "]";
}

}  // namespace

#define COMPARE_STRINGS(actual, ...) COMPARE(show(actual), show(Strings{__VA_ARGS__}))

TPT_TEST(text_split, removed_drops_the_delimiters) { COMPARE_STRINGS(split("Removed"), "the", "final", "countdown"); }
TPT_TEST(text_split, isolated_keeps_each_delimiter_alone) {
  COMPARE_STRINGS(split("Isolated"), "the", "-", "final", "-", "-", "countdown");
}
TPT_TEST(text_split, merged_with_previous_attaches_a_delimiter_to_the_text_before_it) {
  COMPARE_STRINGS(split("MergedWithPrevious"), "the-", "final-", "-", "countdown");
}
TPT_TEST(text_split, merged_with_next_attaches_a_delimiter_to_the_text_after_it) {
  COMPARE_STRINGS(split("MergedWithNext"), "the", "-final", "-", "-countdown");
}
TPT_TEST(text_split, contiguous_groups_runs_of_delimiters) {
  COMPARE_STRINGS(split("Contiguous"), "the", "-", "final", "--", "countdown");
}
TPT_TEST(text_split, invert_treats_the_text_between_matches_as_the_delimiters) {
  COMPARE_STRINGS(split("Removed", true), "-", "-", "-");
}

TPT_TEST(text_split, llama3_pattern_splits_words_numbers_and_whitespace) {
  const json config = {
      {"type", "Split"},
      {"pattern",
       {{"Regex",
         R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"}}},
      {"behavior", "Isolated"},
      {"invert", false}};
  COMPARE_STRINGS(pre_tokenize(config, "I'LL pay $12345 now!\n\n  ok  "), "I", "'LL", " pay", " $", "123", "45", " now", "!\n\n",
                  " ", " ok", "  ");
  COMPARE_STRINGS(pre_tokenize(config, "café 你好"), "café", " 你好");
}

TPT_TEST(text_byte_level, maps_bytes_to_gpt2_printable_characters) {
  COMPARE(byte_to_unicode(' '), std::string("\xC4\xA0"));   // U+0120 "Ġ"
  COMPARE(byte_to_unicode('\n'), std::string("\xC4\x8A"));  // U+010A "Ċ"
  COMPARE(byte_to_unicode('a'), std::string("a"));
  COMPARE(unicode_to_byte(0x120), static_cast<int>(' '));
  COMPARE(unicode_to_byte(U'a'), static_cast<int>('a'));
  COMPARE(unicode_to_byte(0x4E00), -1);
}

TPT_TEST(text_byte_level, pre_tokenizer_uses_the_gpt2_pattern_and_maps_bytes) {
  const json config = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
  COMPARE_STRINGS(pre_tokenize(config, "Hello world's é"), "Hello", "\xC4\xA0world", "'s", "\xC4\xA0\xC3\x83\xC2\xA9");
}

TPT_TEST(text_byte_level, add_prefix_space_prepends_a_space_once) {
  const json config = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", false}};
  COMPARE_STRINGS(pre_tokenize(config, "hi"), "\xC4\xA0hi");
  COMPARE_STRINGS(pre_tokenize(config, " hi"), "\xC4\xA0hi");
}

TPT_TEST(text_metaspace, replaces_spaces_and_splits_before_each_word) {
  const json always = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "always"}, {"split", true}};
  COMPARE_STRINGS(pre_tokenize(always, "hello world"), "\xE2\x96\x81hello", "\xE2\x96\x81world");
  const json never = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "never"}, {"split", true}};
  COMPARE_STRINGS(pre_tokenize(never, "hello world"), "hello", "\xE2\x96\x81world");
  const json whole = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "always"}, {"split", false}};
  COMPARE_STRINGS(pre_tokenize(whole, "a b"), "\xE2\x96\x81" "a\xE2\x96\x81" "b");
}

TPT_TEST(text_metaspace, prepend_scheme_first_prepends_only_at_the_start_of_the_input) {
  const json first = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "first"}, {"split", true}};
  COMPARE_STRINGS(pre_tokenize(first, "hi there", true), "\xE2\x96\x81hi", "\xE2\x96\x81there");
  // Text after a special token does not start the input.
  COMPARE_STRINGS(pre_tokenize(first, "hi there", false), "hi", "\xE2\x96\x81there");
}

TPT_TEST(text_pre_tokenizer, sequence_applies_its_steps_in_order) {
  const json config = {{"type", "Sequence"},
                       {"pretokenizers",
                        {{{"type", "Split"}, {"pattern", {{"String", ","}}}, {"behavior", "Removed"}, {"invert", false}},
                         {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}};
  COMPARE_STRINGS(pre_tokenize(config, "a b,c"), "a\xC4\xA0" "b", "c");
}

TPT_TEST(text_normalizer, nfc_composes_combining_marks) {
  COMPARE(nfc("cafe\xCC\x81"), std::string("caf\xC3\xA9"));
  COMPARE(nfc("A\xCC\x8A"), std::string("\xC3\x85"));
  COMPARE(nfc("plain ascii"), std::string("plain ascii"));
  COMPARE(nfc("\xEF\xAC\x81"), std::string("\xEF\xAC\x81"));  // the "fi" ligature is NFKC's business, not NFC's
}

TPT_TEST(text_normalizer, sequence_of_prepend_and_replace_gives_sentencepiece_text) {
  const json config = {{"type", "Sequence"},
                       {"normalizers",
                        {{{"type", "Prepend"}, {"prepend", "\xE2\x96\x81"}},
                         {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\xE2\x96\x81"}}}}};
  auto n = parse_normalizer(config, JsonPlace("tokenizer.json", "normalizer"));
  COMPARE(n->normalize("a b"), std::string("\xE2\x96\x81" "a\xE2\x96\x81" "b"));
  COMPARE(n->normalize(""), std::string());
}

TPT_TEST(text_normalizer, replace_with_a_regex_replaces_every_match) {
  const json config = {{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", " "}};
  COMPARE(parse_normalizer(config, JsonPlace("tokenizer.json", "normalizer"))->normalize("a  b     c d"),
          std::string("a b c d"));
}

TPT_TEST(text_decoder, byte_level_joins_bytes_across_tokens) {
  // "€" is E2 82 AC: split over two tokens, it comes back whole.
  COMPARE_STRINGS(decode_chain({{"type", "ByteLevel"}}, {"\xC4\xA0" "cost", "\xC3\xA2\xC4\xA4", "\xC2\xAC"}), " cost\xE2\x82\xAC");
  // An unfinished character decodes as one U+FFFD.
  COMPARE_STRINGS(decode_chain({{"type", "ByteLevel"}}, {"a", "\xC3\xA2\xC4\xA4"}), "a\xEF\xBF\xBD");
  // A token with characters outside the byte table is kept as written.
  COMPARE_STRINGS(decode_chain({{"type", "ByteLevel"}}, {"\xE4\xBD\xA0", "!"}), "\xE4\xBD\xA0!");
}

TPT_TEST(text_decoder, byte_fallback_turns_byte_tokens_into_text) {
  const json config = {{"type", "ByteFallback"}};
  COMPARE_STRINGS(decode_chain(config, {"a", "<0xE2>", "<0x82>", "<0xAC>", "b"}), "a", "\xE2\x82\xAC", "b");
  // Bytes that do not form text become one U+FFFD each.
  COMPARE_STRINGS(decode_chain(config, {"<0xE2>", "<0x82>", "c"}), "\xEF\xBF\xBD", "\xEF\xBF\xBD", "c");
  COMPARE_STRINGS(decode_chain(config, {"<0x41>"}), "A");
}

TPT_TEST(text_decoder, gemma_sequence_replaces_fuses_and_keeps_the_leading_space) {
  const json config = {{"type", "Sequence"},
                       {"decoders",
                        {{{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}},
                         {{"type", "ByteFallback"}},
                         {{"type", "Fuse"}}}}};
  COMPARE_STRINGS(decode_chain(config, {"\xE2\x96\x81hello", "\xE2\x96\x81world", "<0x21>"}), " hello world!");
}

TPT_TEST(text_decoder, strip_removes_a_bounded_number_of_characters) {
  const json config = {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}};
  COMPARE_STRINGS(decode_chain(config, {" a", "  b", "c "}), "a", " b", "c ");
}

TPT_TEST(text_decoder, strip_with_empty_content_is_refused_instead_of_spinning) {
  // Found by fuzz_tokenizer: "content": "" with "stop": 22222222222222222220 hung decode().
  const json config = {{"type", "Strip"}, {"content", ""}, {"start", 1}, {"stop", 2222222222222222222}};
  VERIFY_THROWS_WITH(parse_decoder(config, JsonPlace("tokenizer.json", "decoder")),
                     "tokenizer.json: decoder.content: expected a single character, got \"\"");
  // A count far beyond the token's length stops at the token's ends.
  const json many = {{"type", "Strip"}, {"content", " "}, {"start", 2222222222222222222}, {"stop", 2222222222222222222}};
  COMPARE_STRINGS(decode_chain(many, {"  a b  ", "   "}), "a b", "");
}

TPT_TEST(text_decoder, metaspace_with_an_empty_replacement_is_refused_instead_of_spinning) {
  // An empty replacement matches at every position of every token without advancing.
  const json config = {{"type", "Metaspace"}, {"replacement", ""}};
  VERIFY_THROWS_WITH(parse_decoder(config, JsonPlace("tokenizer.json", "decoder")),
                     "tokenizer.json: decoder.replacement: expected a single character, got \"\"");
  const json two = {{"type", "Metaspace"}, {"replacement", "__"}};
  VERIFY_THROWS_WITH(parse_decoder(two, JsonPlace("tokenizer.json", "decoder")),
                     "tokenizer.json: decoder.replacement: expected a single character, got \"__\"");
}

TPT_TEST(text_decoder, metaspace_turns_markers_into_spaces_and_drops_the_first_one) {
  const json config = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "always"}};
  COMPARE_STRINGS(decode_chain(config, {"\xE2\x96\x81hi", "\xE2\x96\x81there"}), "hi", " there");
}

TPT_TEST(text_post_processor, template_adds_special_tokens_around_sequences) {
  const json config = {
      {"type", "TemplateProcessing"},
      {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
      {"pair",
       {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
        {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
        {{"SpecialToken", {{"id", "</s>"}, {"type_id", 0}}}},
        {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}}},
      {"special_tokens",
       {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}, {"</s>", {{"id", "</s>"}, {"ids", {2}}, {"tokens", {"</s>"}}}}}}};
  auto p = parse_post_processor(config, JsonPlace("tokenizer.json", "post_processor"));
  auto single = p->process({{7, 8}});
  COMPARE(single.size(), size_t(1));
  COMPARE(single[0] == std::vector<int32_t>({1, 7, 8}), true);
  auto pair = p->process({{7}, {9}});
  COMPARE(pair[0] == std::vector<int32_t>({1, 7, 2, 9}), true);
}

TPT_TEST(text_pre_tokenizer, a_pattern_with_backslash_c_is_refused) {
  // \C matches one byte even in UTF mode, so Split would cut "é" in two.
  VERIFY_THROWS_WITH(pre_tokenize({{"type", "Split"}, {"pattern", {{"Regex", "\\C|\\s+"}}}, {"behavior", "Isolated"}}, "caf\xC3\xA9"),
                     "tokenizer.json: pre_tokenizer.pattern.Regex: invalid regex at offset");
}
