// Answer normalisation (prune/normalize.h): every preset and every combination of its four
// steps. Checked: the result is trimmed and free of what the steps strip; a second pass changes
// nothing (except that strip_trailing_period takes one "." per pass, as lm-eval's `\.$` does);
// canonical_decimal is a fixed point and keeps the number's value.
#include <cmath>
#include <cstdlib>

#include "fuzz_support.h"
#include "prune/normalize.h"

using namespace tpt;

namespace {

bool is_trimmed(std::string_view s) {
  const std::string_view space = " \t\n\r\f\v";
  return s.empty() || (space.find(s.front()) == std::string_view::npos && space.find(s.back()) == std::string_view::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::as_text(data, size);

  for (int steps = 0; steps < 16; ++steps) {
    prune::NormalizeConfig config;
    config.strip_commas = steps & 1;
    config.strip_currency = steps & 2;
    config.strip_trailing_period = steps & 4;
    config.canonical_number = steps & 8;
    const std::string once = prune::normalize_answer(text, config);
    const std::string what = config.describe() + " of " + fuzz::show(text) + " = " + fuzz::show(once);
    FUZZ_EXPECT(is_trimmed(once), what + " is not trimmed");
    if (config.strip_commas) FUZZ_EXPECT(once.find(',') == std::string::npos, what + " keeps a comma");
    if (config.strip_currency) FUZZ_EXPECT(once.find('$') == std::string::npos, what + " keeps a \"$\"");
    if (!(config.strip_trailing_period && !once.empty() && once.back() == '.')) {
      const std::string twice = prune::normalize_answer(once, config);
      FUZZ_EXPECT(twice == once, what + ", again: " + fuzz::show(twice));
    }
    if (config.preset_name() == "exact") {
      FUZZ_EXPECT(once.size() <= text.size(), what);
    }
  }

  if (const auto canonical = prune::canonical_decimal(text)) {
    const std::string what = "canonical_decimal(" + fuzz::show(text) + ") = " + fuzz::show(*canonical);
    const auto again = prune::canonical_decimal(*canonical);
    FUZZ_EXPECT(again && *again == *canonical, what + ", again: " + (again ? fuzz::show(*again) : "none"));
    // The same number: compared through long double where the digits fit in one.
    if (text.size() <= 15) {
      const std::string plain(text);
      const long double a = std::strtold(plain.c_str(), nullptr);
      const long double b = std::strtold(canonical->c_str(), nullptr);
      FUZZ_EXPECT(a == b, what + " changes the value");
    }
    FUZZ_EXPECT(canonical->find_first_not_of("-0123456789.") == std::string::npos, what + " is not a plain decimal");
  }
  return 0;
}
