// Finding the final answer in a model's completion (and in a GSM8K gold solution).
//
// Three extractors, each a hand-written scanner that reproduces one published regex, so the
// workbench's numbers can be compared with the paper's and with lm-evaluation-harness:
//
//   strict    the TPT paper's checker: `####\s*(-?[\d.,]+)`, FIRST match, ASCII digits.
//   flexible  lm-eval's flexible-extract: `(-?[$0-9.,]{2,})|(-?[0-9]+)`, LAST match of a
//             left-to-right, non-overlapping scan (regex findall semantics).
//             Deliberate deviation: a match without any digit ("...", ",,", "$.") is not an
//             answer and is skipped, so "is 42..." -> "42..." but "42 ... ." -> "42".
//   boxed     the content of the last complete `\boxed{...}` (braces balanced, `\boxed {x}`
//             accepted), trimmed. An unclosed `\boxed{` (a truncated completion) is ignored.
//
// Extractors return the raw matched text; comparing it with the gold answer is the job of
// normalize.h and verifier.h. std::nullopt means "no answer found".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tpt::prune {

enum class Extractor { Strict, Flexible, Boxed };

const char* to_string(Extractor extractor);  // "strict", "flexible", "boxed"
std::optional<Extractor> parse_extractor(std::string_view name);
std::vector<std::string> extractor_names();

std::optional<std::string> extract_strict(std::string_view text);
std::optional<std::string> extract_flexible(std::string_view text);
std::optional<std::string> extract_boxed(std::string_view text);
std::optional<std::string> extract_answer(Extractor extractor, std::string_view text);

// The gold answer of a GSM8K solution: the trimmed text after the LAST line that starts with
// "####" (leading spaces allowed). A string without such a line is taken as a bare value (the
// whole string, trimmed), so "72" and "...\n#### 72" both give "72". std::nullopt when the
// answer is empty ("####" with nothing after it, or an empty string).
std::optional<std::string> extract_gold(std::string_view solution);

}  // namespace tpt::prune
