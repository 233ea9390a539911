// Answer normalisation: each step, the three presets, and the JSON forms of a normaliser.
#include <string>
#include <vector>

#include "check.h"
#include "prune/normalize.h"

using namespace tpt::prune;
using tpt::FieldIssue;

namespace {
std::string numeric(const char* s) { return normalize_answer(s, NormalizeConfig::numeric()); }
std::string lm_eval(const char* s) { return normalize_answer(s, NormalizeConfig::lm_eval()); }
std::string exact(const char* s) { return normalize_answer(s, NormalizeConfig::exact()); }
}  // namespace

TPT_TEST(normalize, exact_only_trims) {
  COMPARE(exact("  1,000 \n"), "1,000");
  COMPARE(exact("$18."), "$18.");
  COMPARE(exact("12.0"), "12.0");
}

TPT_TEST(normalize, lm_eval_strips_commas_currency_and_one_trailing_period) {
  COMPARE(lm_eval("1,000"), "1000");
  COMPARE(lm_eval("$18"), "18");
  COMPARE(lm_eval("$ 18"), "18");
  COMPARE(lm_eval("18."), "18");
  COMPARE(lm_eval("18.."), "18.");  // lm-eval's `\.$` removes one
  COMPARE(lm_eval("$1,234,567.50."), "1234567.50");
  COMPARE(lm_eval("12.0"), "12.0");  // no numeric canonical form in this preset
}

TPT_TEST(normalize, numeric_gives_the_canonical_decimal) {
  COMPARE(numeric("12.0"), "12");
  COMPARE(numeric("012"), "12");
  COMPARE(numeric("-0"), "0");
  COMPARE(numeric("-0.00"), "0");
  COMPARE(numeric("1.50"), "1.5");
  COMPARE(numeric(".5"), "0.5");
  COMPARE(numeric("-.5"), "-0.5");
  COMPARE(numeric("+3"), "3");
  COMPARE(numeric("5."), "5");
  COMPARE(numeric("$1,000.00"), "1000");
  COMPARE(numeric("-5"), "-5");
  COMPARE(numeric("100"), "100");  // trailing zeros of the integer part stay
}

TPT_TEST(normalize, numeric_is_exact_for_huge_numbers) {
  COMPARE(numeric("000123456789012345678901234567890.1000"), "123456789012345678901234567890.1");
  COMPARE(numeric("99,999,999,999,999,999,999,999,999,999"), "99999999999999999999999999999");
}

TPT_TEST(normalize, numeric_leaves_non_decimals_alone) {
  COMPARE(numeric("1e3"), "1e3");
  COMPARE(numeric("\\frac{1}{2}"), "\\frac{1}{2}");
  COMPARE(numeric("1.2.3"), "1.2.3");
  COMPARE(numeric("eighteen"), "eighteen");
  COMPARE(numeric("."), "");  // the trailing-period step empties it first
  COMPARE(numeric("-"), "-");
}

TPT_TEST(normalize, canonical_number_without_comma_stripping_leaves_grouped_numbers) {
  NormalizeConfig config = NormalizeConfig::exact();
  config.canonical_number = true;
  COMPARE(normalize_answer("1,000", config), "1,000");
  COMPARE(normalize_answer("1000.0", config), "1000");
}

TPT_TEST(normalize, canonical_decimal_rejects_what_is_not_a_plain_decimal) {
  VERIFY(!canonical_decimal(""));
  VERIFY(!canonical_decimal("+"));
  VERIFY(!canonical_decimal("."));
  VERIFY(!canonical_decimal("1,0"));
  VERIFY(!canonical_decimal(" 1"));
  COMPARE(canonical_decimal("0").value_or("?"), "0");
  COMPARE(canonical_decimal("000.000").value_or("?"), "0");
}

TPT_TEST(normalize, presets_by_name) {
  VERIFY(*NormalizeConfig::preset("exact") == NormalizeConfig::exact());
  VERIFY(*NormalizeConfig::preset("lm-eval") == NormalizeConfig::lm_eval());
  VERIFY(*NormalizeConfig::preset("numeric") == NormalizeConfig::numeric());
  VERIFY(!NormalizeConfig::preset("loose"));
  VERIFY(NormalizeConfig() == NormalizeConfig::numeric());  // the default
  COMPARE(NormalizeConfig::lm_eval().preset_name(), "lm-eval");
}

TPT_TEST(normalize, parses_a_preset_string_or_an_object) {
  std::vector<FieldIssue> issues;
  VERIFY(NormalizeConfig::parse("exact", "n", issues) == NormalizeConfig::exact());
  NormalizeConfig custom = NormalizeConfig::parse({{"strip_commas", true}}, "n", issues);
  COMPARE(issues.size(), size_t(0));
  VERIFY(custom.strip_commas);
  VERIFY(!custom.strip_currency);  // absent booleans are off
  VERIFY(!custom.canonical_number);
  COMPARE(custom.describe(), "custom(commas)");
  VERIFY(NormalizeConfig::parse(custom.to_json(), "n", issues) == custom);
  VERIFY(NormalizeConfig::numeric().to_json() == nlohmann::json("numeric"));
  COMPARE(issues.size(), size_t(0));
}

TPT_TEST(normalize, parse_reports_bad_presets_and_keys_with_paths) {
  std::vector<FieldIssue> issues;
  NormalizeConfig::parse("numerc", "verifier.normalize", issues);
  NormalizeConfig::parse({{"strip_comas", true}, {"canonical_number", 1}}, "verifier.normalize", issues);
  NormalizeConfig::parse(3, "x", issues);
  COMPARE(issues.size(), size_t(4));
  COMPARE(issues[0].path, "verifier.normalize");
  VERIFY_CONTAINS(issues[0].message, "\"numeric\"");
  VERIFY_CONTAINS(issues[0].message, "got \"numerc\"");
  COMPARE(issues[1].path, "verifier.normalize.canonical_number");
  COMPARE(issues[2].path, "verifier.normalize.strip_comas");
  VERIFY_CONTAINS(issues[2].message, "did you mean \"strip_commas\"");
  COMPARE(issues[3].path, "x");
}
