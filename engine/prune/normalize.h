// Turning an extracted answer and a gold answer into comparable strings.
//
// Normalisation is an explicit, configurable step because it changes results: the TPT paper
// compares the raw strings ("1,000" != "1000"), lm-evaluation-harness strips commas, "$" and
// a trailing period, and a numeric comparison also treats "12.0" and "12" as equal. Each
// behaviour is a preset, so a run says which one it used:
//
//   "exact"    trim only — the paper's exact-string comparison
//   "lm-eval"  trim, strip ",", strip "$", strip one trailing "." (lm-eval's regexes_to_ignore)
//   "numeric"  lm-eval + canonical decimal form (the default)
//
// Steps run in that order; whitespace is trimmed before and after each one. The canonical
// form is computed on the digit string, never through floating point, so a 30-digit answer
// stays exact. Only plain decimals are canonicalised ("1e3", "1/2", "\frac{1}{2}" are left
// as they are); with strip_commas off, "1,000" is not a plain decimal either.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace tpt::prune {

struct NormalizeConfig {
  bool strip_commas = true;
  bool strip_currency = true;         // "$"
  bool strip_trailing_period = true;  // one "." at the end, as lm-eval's `\.$`
  bool canonical_number = true;       // "012.50" -> "12.5", "-0" -> "0", ".5" -> "0.5", "+3" -> "3"

  static NormalizeConfig exact();
  static NormalizeConfig lm_eval();
  static NormalizeConfig numeric();
  static std::optional<NormalizeConfig> preset(std::string_view name);
  static std::vector<std::string> preset_names();  // "exact", "lm-eval", "numeric"

  // The preset these options equal, or "" for a custom combination.
  std::string preset_name() const;
  // For messages: the preset name, or e.g. "custom(commas, number)".
  std::string describe() const;

  // Accepts a preset name or an object of the four booleans (absent ones are false: the
  // object says exactly which steps run). Problems go to `issues` under `path`.
  static NormalizeConfig parse(const nlohmann::json& j, const std::string& path, std::vector<FieldIssue>& issues);
  // A preset's name when the options equal one, otherwise the full object.
  nlohmann::json to_json() const;

  bool operator==(const NormalizeConfig& o) const {
    return strip_commas == o.strip_commas && strip_currency == o.strip_currency &&
           strip_trailing_period == o.strip_trailing_period && canonical_number == o.canonical_number;
  }
  bool operator!=(const NormalizeConfig& o) const { return !(*this == o); }
};

std::string normalize_answer(std::string_view text, const NormalizeConfig& config);

// The canonical form of a plain decimal `[+-]?(digits[.digits?] | .digits)`, or std::nullopt
// when `text` is not one.
std::optional<std::string> canonical_decimal(std::string_view text);

}  // namespace tpt::prune
