// GSM8K's calculator annotations, checked: a gold solution writes each step as
// "13-3=<<13-3=10>>10", the expression, its value, then the value again. A model that learned
// the format can write the layout with the arithmetic wrong ("<<13-3=9>>9") or broken
// ("<<10>>10") and still land on the right final answer; the calculator_check rule drops such
// traces so that training does not teach the mistake along with the answer.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tpt::prune {

// The value of an arithmetic expression: numbers (digits, one '.', ',' thousands separators),
// + - * / and Python's // with the usual precedence, unary minus and plus, parentheses, spaces. nullopt with `error`
// set when it cannot be read or divides by zero.
std::optional<double> evaluate_arithmetic(std::string_view expression, std::string* error = nullptr);

// Checks every <<expression=value>> annotation in `text`: the expression must evaluate to the
// value, and a number written right after ">>" must be that value too. Returns the first
// problem as a reason ("<<13-3=9>>: 13-3 is 10, not 9"), or nullopt when all are right (also
// when there are none).
std::optional<std::string> find_calculator_error(std::string_view text);

}  // namespace tpt::prune
