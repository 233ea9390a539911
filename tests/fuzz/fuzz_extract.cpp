// Answer extraction (prune/extract.h): each extractor against the published regex it reproduces
// (std::regex, on inputs short enough for its recursive matcher), and the shape of what each
// returns.
#include <regex>

#include <optional>

#include "fuzz_support.h"
#include "prune/extract.h"

using namespace tpt;

namespace {

// The TPT paper's checker: the first match of ####\s*(-?[\d.,]+), group 1.
std::optional<std::string> strict_by_regex(const std::string& text) {
  static const std::regex pattern(R"(####[ \t\n\r\f\v]*(-?[0-9.,]+))");
  std::smatch m;
  if (!std::regex_search(text, m, pattern)) return std::nullopt;
  return m[1].str();
}

// lm-eval's flexible-extract: findall((-?[$0-9.,]{2,})|(-?[0-9]+)), the last match, skipping
// matches without a digit (the engine's documented deviation).
std::optional<std::string> flexible_by_regex(const std::string& text) {
  static const std::regex pattern(R"((-?[$0-9.,]{2,})|(-?[0-9]+))");
  std::optional<std::string> last;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), pattern); it != std::sregex_iterator(); ++it) {
    const std::string match = it->str();
    if (match.find_first_of("0123456789") != std::string::npos) last = match;
  }
  return last;
}

std::string shown(const std::optional<std::string>& s) { return s ? fuzz::show(*s) : "none"; }

bool is_trimmed(const std::string& s) {
  const char* space = " \t\n\r\f\v";
  return s.empty() || (std::string(space).find(s.front()) == std::string::npos &&
                       std::string(space).find(s.back()) == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(fuzz::as_text(data, size));

  const auto strict = prune::extract_strict(text);
  const auto flexible = prune::extract_flexible(text);
  const auto boxed = prune::extract_boxed(text);
  const auto gold = prune::extract_gold(text);

  FUZZ_EXPECT(prune::extract_answer(prune::Extractor::Strict, text) == strict, "extract_answer(strict)");
  FUZZ_EXPECT(prune::extract_answer(prune::Extractor::Flexible, text) == flexible, "extract_answer(flexible)");
  FUZZ_EXPECT(prune::extract_answer(prune::Extractor::Boxed, text) == boxed, "extract_answer(boxed)");

  // std::regex recurses per character: keep it to short inputs.
  if (text.size() <= 512) {
    const auto strict_expected = strict_by_regex(text);
    FUZZ_EXPECT(strict == strict_expected, "strict " + shown(strict) + " but the regex gives " + shown(strict_expected));
    const auto flexible_expected = flexible_by_regex(text);
    FUZZ_EXPECT(flexible == flexible_expected,
                "flexible " + shown(flexible) + " but the regex gives " + shown(flexible_expected));
  }

  if (boxed) {
    // The content of balanced braces, trimmed: boxing it again gives it back.
    FUZZ_EXPECT(is_trimmed(*boxed), "boxed answer not trimmed: " + shown(boxed));
    const auto again = prune::extract_boxed("\\boxed{" + *boxed + "}");
    FUZZ_EXPECT(again == boxed, "re-boxing " + shown(boxed) + " gives " + shown(again));
  }
  if (gold) {
    FUZZ_EXPECT(!gold->empty() && is_trimmed(*gold), "gold answer empty or not trimmed: " + shown(gold));
    // A one-line gold written as a solution's last "####" line is read back unchanged (a bare
    // value without "####" is the whole text, which may span lines).
    if (gold->find('\n') != std::string::npos) return 0;
    const auto again = prune::extract_gold(text + "\n#### " + *gold);
    FUZZ_EXPECT(again == gold, "gold " + shown(gold) + " re-read as " + shown(again));
  }
  return 0;
}
