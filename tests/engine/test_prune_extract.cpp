// Answer extraction: the strict "####" scanner, lm-eval's flexible last number, \boxed{},
// and the gold answer of a GSM8K solution. Expected values are worked out by hand from the
// regexes quoted in extract.h.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "check.h"
#include "prune/extract.h"

using namespace tpt::prune;

namespace {
const std::optional<std::string> none;
std::optional<std::string> some(const char* s) { return std::string(s); }
}  // namespace

namespace tpt::testing {
template <>
inline std::string show(const std::optional<std::string>& value) {
  return value ? "\"" + *value + "\"" : "nullopt";
}
}  // namespace tpt::testing

TPT_TEST(extract, strict_reads_the_number_after_hashes) {
  COMPARE(extract_strict("She makes $18.\n#### 18"), some("18"));
  COMPARE(extract_strict("####18"), some("18"));
  COMPARE(extract_strict("####   \t 18"), some("18"));
  COMPARE(extract_strict("####\n18"), some("18"));  // \s matches a newline
}

TPT_TEST(extract, strict_takes_the_first_of_several_hash_lines) {
  COMPARE(extract_strict("#### 17\nWait, no.\n#### 18"), some("17"));
}

TPT_TEST(extract, strict_keeps_sign_commas_and_decimals_raw) {
  COMPARE(extract_strict("#### -5"), some("-5"));
  COMPARE(extract_strict("#### 1,000"), some("1,000"));
  COMPARE(extract_strict("#### 3.75"), some("3.75"));
  COMPARE(extract_strict("#### 18."), some("18."));  // the class includes '.'
  COMPARE(extract_strict("#### 123456789012345678901234567890123"), some("123456789012345678901234567890123"));
}

TPT_TEST(extract, strict_stops_at_text_after_the_number) {
  COMPARE(extract_strict("#### 18 dollars"), some("18"));
  COMPARE(extract_strict("#### 18dollars"), some("18"));
  COMPARE(extract_strict("#### 7 - 2"), some("7"));
}

TPT_TEST(extract, strict_does_not_accept_currency_or_words) {
  COMPARE(extract_strict("#### $18"), none);      // '$' is not in [\d.,]
  COMPARE(extract_strict("#### eighteen"), none);
  COMPARE(extract_strict("#### - 5"), none);      // minus must touch the number
}

TPT_TEST(extract, strict_searches_past_a_hash_run_without_a_number) {
  COMPARE(extract_strict("#####5"), some("5"));  // the match starts at offset 1
  COMPARE(extract_strict("#### none\nso #### 4"), some("4"));
  COMPARE(extract_strict("#### -x #### -3"), some("-3"));
}

TPT_TEST(extract, strict_finds_nothing_without_hashes) {
  COMPARE(extract_strict("The answer is 18."), none);
  COMPARE(extract_strict("### 18"), none);
  COMPARE(extract_strict(""), none);
}

TPT_TEST(extract, strict_accepts_a_lone_punctuation_run_as_the_paper_did) {
  // The paper's regex matches "..." after "####"; the comparison then fails, not extraction.
  COMPARE(extract_strict("#### ..."), some("..."));
}

TPT_TEST(extract, flexible_takes_the_last_number) {
  COMPARE(extract_flexible("3 + 4 = 7, so the answer is 12"), some("12"));
  COMPARE(extract_flexible("#### 18"), some("18"));
  COMPARE(extract_flexible("It costs $1,000.50 in total."), some("$1,000.50"));
  COMPARE(extract_flexible("It costs $1,000.50."), some("$1,000.50."));  // the run includes the '.'
}

TPT_TEST(extract, flexible_single_digits_and_negatives) {
  COMPARE(extract_flexible("x is 5"), some("5"));    // alternative 2
  COMPARE(extract_flexible("x is -5"), some("-5"));  // alternative 2 with the minus
  COMPARE(extract_flexible("down to -12 now"), some("-12"));
  COMPARE(extract_flexible("range 3-4"), some("-4"));  // findall: "3", then "-4"
}

TPT_TEST(extract, flexible_skips_matches_without_digits) {
  COMPARE(extract_flexible("The answer is 42. Hmm..."), some("42."));
  COMPARE(extract_flexible("42 ... ."), some("42"));
  COMPARE(extract_flexible("$$ and ,,"), none);
  COMPARE(extract_flexible("no numbers here."), none);
}

TPT_TEST(extract, flexible_reads_huge_numbers_whole) {
  COMPARE(extract_flexible("total 987654321098765432109876543210 apples"), some("987654321098765432109876543210"));
}

TPT_TEST(extract, boxed_takes_the_last_box) {
  COMPARE(extract_boxed("first \\boxed{3} then \\boxed{ 4 }"), some("4"));
  COMPARE(extract_boxed("\\boxed {12}"), some("12"));
  COMPARE(extract_boxed("no box 12"), none);
}

TPT_TEST(extract, boxed_balances_nested_braces) {
  COMPARE(extract_boxed("so \\boxed{\\frac{1}{2}}."), some("\\frac{1}{2}"));
  COMPARE(extract_boxed("\\boxed{\\text{x}^{2}} and \\boxed{\\sqrt{\\frac{a}{b}}}"), some("\\sqrt{\\frac{a}{b}}"));
}

TPT_TEST(extract, boxed_ignores_an_unclosed_box) {
  COMPARE(extract_boxed("\\boxed{5} then \\boxed{\\frac{1}{2"), some("5"));
  COMPARE(extract_boxed("\\boxed{"), none);
  COMPARE(extract_boxed("\\boxed 5"), none);
}

TPT_TEST(extract, boxed_takes_time_linear_in_the_text_whatever_the_boxes) {
  // A completion that repeats "\boxed{" until it is cut off: each unclosed box once cost a scan
  // of the rest of the text (200,000 of them took 55 s). At 2,000,000 such a scan would take
  // hours; in one pass it takes milliseconds.
  std::string unclosed;
  for (int i = 0; i < 200000; ++i) unclosed += "\\boxed{";
  COMPARE(extract_boxed(unclosed), none);
  std::string many;
  for (int i = 0; i < 2000000; ++i) many += "\\boxed{";
  COMPARE(extract_boxed(many + "42}"), some("42"));  // only the innermost box closes
  COMPARE(extract_boxed("\\boxed{7} " + many), some("7"));
  COMPARE(extract_boxed(many + "}}"), some("\\boxed{}"));  // the two innermost close: the outer one counts
}

namespace {

// The scanner extract_boxed replaced (a forward scan from each box), kept as the reference
// for what it must find.
std::optional<std::string> reference_boxed(std::string_view text) {
  std::optional<std::string> last;
  size_t search = 0;
  while (true) {
    const size_t at = text.find("\\boxed", search);
    if (at == std::string_view::npos) break;
    size_t pos = at + 6;
    search = pos;
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n')) ++pos;
    if (pos >= text.size() || text[pos] != '{') continue;
    int depth = 0;
    size_t close = std::string_view::npos;
    for (size_t i = pos; i < text.size() && close == std::string_view::npos; ++i) {
      if (text[i] == '{') ++depth;
      if (text[i] == '}' && --depth == 0) close = i;
    }
    if (close == std::string_view::npos) continue;
    std::string_view inner = text.substr(pos + 1, close - pos - 1);
    while (!inner.empty() && (inner.front() == ' ' || inner.front() == '\t' || inner.front() == '\n')) inner.remove_prefix(1);
    while (!inner.empty() && (inner.back() == ' ' || inner.back() == '\t' || inner.back() == '\n')) inner.remove_suffix(1);
    last = std::string(inner);
    search = close + 1;
  }
  return last;
}

}  // namespace

TPT_TEST(extract, boxed_finds_what_a_forward_scan_from_each_box_finds) {
  // Random texts over the characters that matter, with a fixed generator: every box nested,
  // unclosed, stray braces before and after.
  const std::string_view pieces[] = {"\\boxed", "\\boxed ", "{", "}", "x", " ", "1", "\\boxed{", "}}"};
  uint64_t state = 12345;
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const int length = static_cast<int>((state >> 33) % 24);
    for (int i = 0; i < length; ++i) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      text += pieces[(state >> 33) % (sizeof pieces / sizeof pieces[0])];
    }
    if (extract_boxed(text) != reference_boxed(text)) TPT_FAIL("extract_boxed differs from the reference on \"" + text + "\"");
  }
}

TPT_TEST(extract, extract_answer_dispatches_on_the_extractor) {
  const char* text = "#### 7\nactually 8 \\boxed{9}";
  COMPARE(extract_answer(Extractor::Strict, text), some("7"));
  COMPARE(extract_answer(Extractor::Flexible, text), some("9"));
  COMPARE(extract_answer(Extractor::Boxed, text), some("9"));
}

TPT_TEST(extract, extractor_names_round_trip) {
  for (const auto& name : extractor_names()) COMPARE(std::string(to_string(*parse_extractor(name))), name);
  VERIFY(!parse_extractor("regex"));
}

TPT_TEST(extract, gold_is_the_text_after_the_last_hash_line) {
  COMPARE(extract_gold("Step <<2*3=6>>6\n#### 72"), some("72"));
  COMPARE(extract_gold("#### 1\nmore\n#### 2\n"), some("2"));
  COMPARE(extract_gold("a\n  ####   -3  \r\n"), some("-3"));
  COMPARE(extract_gold("x\n#### 1,000"), some("1,000"));
}

TPT_TEST(extract, gold_accepts_a_bare_value) {
  COMPARE(extract_gold("  72 \n"), some("72"));
  COMPARE(extract_gold("the total is #### 5"), some("the total is #### 5"));  // not at a line start
}

TPT_TEST(extract, gold_is_empty_when_nothing_follows_the_hashes) {
  COMPARE(extract_gold("steps\n####"), none);
  COMPARE(extract_gold("steps\n####   "), none);
  COMPARE(extract_gold(""), none);
}
