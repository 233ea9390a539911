// Whether a program's stdout matches a test's expected output: DeepMind CodeContests' checker
// (execution/tester_sandboxer.cc, OutputsMatch / ValuesMatch), so that "passes" means what it
// meant in the paper.
//
// Both outputs are split on ' ', '\n', '\t', '\r', '\v' (empty pieces dropped) and lowercased;
// they must have the same number of tokens, and each pair must match:
//   - identical tokens always match;
//   - two tokens that both parse fully as numbers match when |a - b| < 1e-5 (absolute, integers
//     too: "123" = "123.000001", "123" != "123.1");
//   - anything else must be equal.
// Number parsing follows absl::SimpleAtod, which CodeContests uses: decimal and exponent forms
// ("1e3", "1E-2", ".5", "5."), one leading '+' ("+5", never "+-5"), "inf"/"infinity"/"nan"
// (any case), an exponent past the double range read as +-inf. Hexadecimal ("0x10") is not a
// number (absl's from_chars reads the general format only), so it compares as text.
// Consequences kept on purpose: integers are compared as doubles, so two integers beyond 2^53
// that round to the same double match; "inf" never matches "infinity" (inf - inf is nan).
// One deviation: CodeContests compares "nan" with "nan" numerically (never equal) unless the
// whole outputs are identical; here identical tokens always match.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tpt::code {

// The checker's tokens: split on " \n\t\r\v", empty pieces dropped, ASCII-lowercased.
std::vector<std::string> output_tokens(std::string_view text);

// The value of a token when the whole token is a number in absl::SimpleAtod's sense.
std::optional<double> parse_number_token(std::string_view token);

struct OutputMatch {
  bool matches = false;
  // Why not, for people: "expected 4 tokens, got 3", "token 3: expected \"5\", got \"6\""
  // (1-based token numbers, tokens as compared: lowercased, cut to a few dozen characters).
  std::string reason;
};

OutputMatch match_output(std::string_view actual, std::string_view expected);
inline bool outputs_match(std::string_view actual, std::string_view expected) {
  return match_output(actual, expected).matches;
}

}  // namespace tpt::code
