// GSM8K calculator annotations (prune/calculator.h): the expression evaluator and the checker of
// "<<expression=value>>" annotations. Checked: parentheses do not change a value; an annotation
// that states the expression's own value, or its printed value, is accepted.
#include <cmath>
#include <cstdio>
#include <cstring>

#include "fuzz_support.h"
#include "prune/calculator.h"

using namespace tpt;

namespace {

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

std::string printed(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(fuzz::as_text(data, size));

  (void)prune::find_calculator_error(text);

  std::string error;
  const auto value = prune::evaluate_arithmetic(text, &error);
  FUZZ_EXPECT(value.has_value() == error.empty(), "a value and an error, or neither: " + fuzz::show(text));
  if (!value) return 0;
  const std::string what = fuzz::show(text) + " = " + printed(*value);

  std::string wrapped_error;
  const auto wrapped = prune::evaluate_arithmetic("(" + text + ")", &wrapped_error);
  // One more level of nesting may pass the depth bound; nothing else may change.
  if (wrapped_error.find("levels deep") == std::string::npos) {
    FUZZ_EXPECT(wrapped && same(*wrapped, *value), what + " but (...) gives " + (wrapped ? printed(*wrapped) : wrapped_error));
  }

  // An annotation of the expression with itself as the value, and with its value printed.
  if (std::isfinite(*value) && text.find_first_of("<>=") == std::string::npos) {
    const auto self = prune::find_calculator_error("<<" + text + "=" + text + ">>");
    FUZZ_EXPECT(!self || self->find("levels deep") != std::string::npos, what + ": <<e=e>> refused: " + *self);
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.10g", *value);
    if (!std::strpbrk(buffer, "e")) {
      const std::string annotation = "<<" + text + "=" + buffer + ">>";
      const auto stated = prune::find_calculator_error(annotation);
      FUZZ_EXPECT(!stated, what + ": " + fuzz::show(annotation) + " refused: " + (stated ? *stated : ""));
    }
  }
  return 0;
}
