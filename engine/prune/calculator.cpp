#include "prune/calculator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace tpt::prune {

namespace {

// Recursive descent over expression := term (('+'|'-') term)*, term := factor (('*'|'/')
// factor)*, factor := ('-'|'+') factor | '(' expression ')' | number; '//' divides and
// rounds down.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::optional<double> parse(std::string* error) {
    std::optional<double> value = expression();
    skip_spaces();
    if (value && pos_ != text_.size()) fail("unexpected \"" + std::string(1, text_[pos_]) + "\"");
    if (!error_.empty()) {
      if (error) *error = error_;
      return std::nullopt;
    }
    return value;
  }

 private:
  void skip_spaces() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }
  bool take(char c) {
    skip_spaces();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void fail(const std::string& message) {
    if (error_.empty()) error_ = message;
  }

  std::optional<double> expression() {
    std::optional<double> left = term();
    while (left) {
      if (take('+')) {
        auto right = term();
        if (!right) return std::nullopt;
        *left += *right;
      } else if (take('-')) {
        auto right = term();
        if (!right) return std::nullopt;
        *left -= *right;
      } else {
        break;
      }
    }
    return left;
  }

  std::optional<double> term() {
    std::optional<double> left = factor();
    while (left) {
      if (take('*')) {
        auto right = factor();
        if (!right) return std::nullopt;
        *left *= *right;
      } else if (take('/')) {
        const bool floor_division = take('/');  // Python's "//", which GSM8K's annotations use
        auto right = factor();
        if (!right) return std::nullopt;
        if (*right == 0) {
          fail("division by zero");
          return std::nullopt;
        }
        *left = floor_division ? std::floor(*left / *right) : *left / *right;
      } else {
        break;
      }
    }
    return left;
  }

  // Each unary sign and each parenthesis nests one call deeper. A model can write any number of
  // them ("((((…1…))))" or "- - - - 1"), so the depth is bounded instead of the stack: far beyond
  // any real annotation, far below what overflows a thread's stack.
  static constexpr int kMaxDepth = 256;

  std::optional<double> factor() {
    if (depth_ >= kMaxDepth) {
      fail("nested more than " + std::to_string(kMaxDepth) + " levels deep");
      return std::nullopt;
    }
    struct Deeper {
      int& depth;
      explicit Deeper(int& d) : depth(++d) {}
      ~Deeper() { --depth; }
    } deeper(depth_);
    if (take('-')) {
      auto value = factor();
      if (value) *value = -*value;
      return value;
    }
    if (take('+')) return factor();  // "<<+8=8>>" occurs in GSM8K's gold solutions
    if (take('(')) {
      auto value = expression();
      if (value && !take(')')) {
        fail("missing \")\"");
        return std::nullopt;
      }
      return value;
    }
    skip_spaces();
    std::string digits;
    bool dot = false;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c >= '0' && c <= '9') {
        digits += c;
      } else if (c == '.' && !dot) {
        dot = true;
        digits += c;
      } else if (c != ',' || digits.empty()) {
        break;
      }
      ++pos_;
    }
    if (digits.empty() || digits == ".") {
      fail(pos_ < text_.size() ? "expected a number at \"" + std::string(text_.substr(pos_, 8)) + "\""
                               : "expected a number at the end");
      return std::nullopt;
    }
    return std::strtod(digits.c_str(), nullptr);
  }

  int depth_ = 0;
  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

bool same_value(double a, double b) { return std::fabs(a - b) <= 1e-6 * std::max(1.0, std::fabs(b)); }

std::string format_value(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.10g", v);
  return buffer;
}

}  // namespace

std::optional<double> evaluate_arithmetic(std::string_view expression, std::string* error) {
  return Parser(expression).parse(error);
}

std::optional<std::string> find_calculator_error(std::string_view text) {
  size_t pos = 0;
  while ((pos = text.find("<<", pos)) != std::string_view::npos) {
    const size_t close = text.find(">>", pos + 2);
    if (close == std::string_view::npos) return "\"<<\" without \">>\"";
    const std::string_view inside = text.substr(pos + 2, close - pos - 2);
    const std::string shown = "<<" + std::string(inside) + ">>";
    const size_t equals = inside.rfind('=');
    if (equals == std::string_view::npos) return shown + ": no \"=\"";
    std::string error;
    const auto value = evaluate_arithmetic(inside.substr(0, equals), &error);
    if (!value) return shown + ": " + error;
    const auto written = evaluate_arithmetic(inside.substr(equals + 1), &error);
    if (!written) return shown + ": the value: " + error;
    if (!same_value(*value, *written))
      return shown + ": " + std::string(inside.substr(0, equals)) + " is " + format_value(*value) + ", not " +
             std::string(inside.substr(equals + 1));
    // The value repeated after the annotation, when a number follows directly.
    size_t end = close + 2;
    while (end < text.size() && ((text[end] >= '0' && text[end] <= '9') || text[end] == '.' || text[end] == ','))
      ++end;
    std::string_view after = text.substr(close + 2, end - close - 2);
    while (!after.empty() && (after.back() == '.' || after.back() == ',')) after.remove_suffix(1);
    const bool fraction = end < text.size() && text[end] == '/';  // "<<3/4=3/4>>3/4"
    if (!after.empty() && !fraction) {
      const auto repeated = evaluate_arithmetic(after);
      if (repeated && !same_value(*repeated, *written))
        return shown + std::string(after) + ": " + std::string(after) + " written after a calculator value of " +
               std::string(inside.substr(equals + 1));
    }
    pos = close + 2;
  }
  return std::nullopt;
}

}  // namespace tpt::prune
