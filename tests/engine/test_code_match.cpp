// CodeContests' output checker and the extraction of a completion's program. Goldens come from
// the checker's rules (REFERENCE.md section 8, execution/tester_sandboxer.cc), not from runs.
#include <string>

#include "check.h"
#include "code/extract_program.h"
#include "code/output_match.h"

using namespace tpt::code;

TPT_TEST(code_match, numbers_match_within_an_absolute_1e_5) {
  VERIFY(outputs_match("123.000001", "123"));
  VERIFY(!outputs_match("123.1", "123"));
  VERIFY(outputs_match("0.333333", "0.3333333333"));
  VERIFY(!outputs_match("0.3333", "0.3333333333"));
  VERIFY(outputs_match("-5.000001", "-5"));
  VERIFY(!outputs_match("-5", "5"));
  VERIFY(outputs_match("1000000", "1000000.000009"));
}

TPT_TEST(code_match, comparison_ignores_case_and_the_kind_and_amount_of_whitespace) {
  VERIFY(outputs_match("YES\r\n", "yes\n"));
  VERIFY(outputs_match("1\t2\v3\r\n\n", "  1 2\n3"));
  VERIFY(outputs_match("", " \n\n "));
  VERIFY(!outputs_match("ab", "a b"));
  // '\f' is not one of the checker's separators.
  VERIFY(!outputs_match("1\f2", "1 2"));
}

TPT_TEST(code_match, a_mismatch_says_which_token_or_how_many) {
  COMPARE(match_output("1 2 6\n", "1 2 5\n").reason, std::string("token 3: expected \"5\", got \"6\""));
  COMPARE(match_output("1 2 3", "1 2 3 4").reason, std::string("expected 4 tokens, got 3"));
  COMPARE(match_output("", "7").reason, std::string("expected 1 token, got 0"));
  COMPARE(match_output("NO", "yes").reason, std::string("token 1: expected \"yes\", got \"no\""));
  COMPARE(match_output("1 2", "1 2").reason, std::string(""));
}

TPT_TEST(code_match, exponent_and_sign_spellings_are_numbers) {
  VERIFY(outputs_match("1e3", "1000"));
  VERIFY(outputs_match("1E-6", "0"));  // |1e-6 - 0| < 1e-5
  VERIFY(outputs_match("+5", "5"));
  VERIFY(outputs_match(".5", "0.5"));
  VERIFY(outputs_match("5.", "5"));
  VERIFY(!parse_number_token("+-5"));
  VERIFY(!outputs_match("+-5", "-5"));
  VERIFY(!outputs_match("1,5", "1.5"));
}

TPT_TEST(code_match, hex_inf_and_nan_follow_absl_simple_atod) {
  // absl's from_chars reads the general format only: hex is text.
  VERIFY(!parse_number_token("0x10"));
  VERIFY(!outputs_match("0x10", "16"));
  VERIFY(parse_number_token("inf").has_value());
  VERIFY(parse_number_token("nan").has_value());
  // inf - inf is nan, never < 1e-5: two spellings of infinity do not match ...
  VERIFY(!outputs_match("inf", "infinity"));
  // ... but identical tokens always do (the case-folded text is equal).
  VERIFY(outputs_match("NaN 1", "nan 1.0000001"));
  VERIFY(outputs_match("INF", "inf"));
  // Past the double range an exponent reads as infinity, as SimpleAtod does.
  VERIFY(*parse_number_token("1e999") > 1e308);
  VERIFY(*parse_number_token("-1e999") < -1e308);
}

TPT_TEST(code_match, integers_are_compared_as_doubles_as_in_codecontests) {
  // 2^53 + 1 and 2^53 are the same double: the checker cannot tell them apart.
  VERIFY(outputs_match("9007199254740993", "9007199254740992"));
  VERIFY(!outputs_match("1000000007", "1000000008"));
}

TPT_TEST(code_extract, takes_the_last_python_block) {
  const std::string completion =
      "First try:\n```python\nprint(1)\n```\nBetter:\n```python\nprint(2)\n```\nOutput:\n```\n2\n```\n";
  COMPARE(extract_program(completion).value_or("(no code)"), std::string("print(2)\n"));
}

TPT_TEST(code_extract, accepts_py_python3_and_any_case) {
  COMPARE(extract_program("```py\nx = 1\n```").value_or("(no code)"), std::string("x = 1\n"));
  COMPARE(extract_program("```Python3\nx = 2\n```").value_or("(no code)"), std::string("x = 2\n"));
}

TPT_TEST(code_extract, falls_back_to_an_untagged_block_but_never_another_language) {
  COMPARE(extract_program("```\nprint(3)\n```").value_or("(no code)"), std::string("print(3)\n"));
  VERIFY(!extract_program("```cpp\nint main() {}\n```").has_value());
  COMPARE(extract_program("```\nprint(4)\n```\n```cpp\nint x;\n```").value_or("(no code)"), std::string("print(4)\n"));
}

TPT_TEST(code_extract, an_unclosed_last_block_runs_to_the_end) {
  COMPARE(extract_program("Here:\n```python\nprint(5)\nprint(6)").value_or("(no code)"), std::string("print(5)\nprint(6)"));
}

TPT_TEST(code_extract, no_block_or_an_empty_one_is_no_code) {
  VERIFY(!extract_program("print(1)").has_value());
  VERIFY(!extract_program("```python\n\n```").has_value());
  VERIFY(!extract_program("").has_value());
}
