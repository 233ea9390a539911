#include "cli/arguments.h"

#include <algorithm>
#include <cmath>

#include "core/text.h"

namespace tpt::cli {

Arguments::Arguments(const std::vector<std::string>& args, const std::set<std::string>& value_options,
                     const std::set<std::string>& flag_options) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-" || !starts_with(arg, "--")) {
      positionals_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (value_options.count(name)) {
      if (inline_value) {
        values_[name] = *inline_value;
      } else if (i + 1 < args.size()) {
        values_[name] = args[++i];
      } else {
        throw UsageError("option --" + name + " needs a value");
      }
    } else if (flag_options.count(name)) {
      if (inline_value) throw UsageError("option --" + name + " takes no value");
      flags_.insert(name);
    } else {
      throw UsageError("unknown option " + arg);
    }
  }
}

std::optional<std::string> Arguments::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Arguments::value_or(const std::string& name, const std::string& fallback) const {
  return value(name).value_or(fallback);
}

std::string Arguments::required(const std::string& name) const {
  auto v = value(name);
  if (!v) throw UsageError("missing required option --" + name);
  return *v;
}

std::string Arguments::choice(const std::string& name, const std::vector<std::string>& allowed,
                              const std::string& fallback) const {
  std::string v = value_or(name, fallback);
  if (std::find(allowed.begin(), allowed.end(), v) == allowed.end())
    throw UsageError("--" + name + " must be " + quoted_list(allowed) + ", got \"" + v + "\"");
  return v;
}

// A decimal number as people write one: [+-] digits [. digits] [e [+-] digits]. std::stod
// alone also takes "nan", "inf", hexadecimal ("0x10" is 16) and leading spaces, none of which
// is a sensible setting (a NaN temperature samples NUL bytes).
static bool is_decimal_number(const std::string& text) {
  size_t i = 0;
  const auto digits = [&] {
    const size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i > start;
  };
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  bool mantissa = digits();
  if (i < text.size() && text[i] == '.') {
    ++i;
    mantissa = digits() || mantissa;
  }
  if (!mantissa) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == text.size();
}

double Arguments::number(const std::string& name, double fallback) const {
  const auto v = value(name);
  if (!v) return fallback;
  if (is_decimal_number(*v)) {
    try {
      const double d = std::stod(*v);
      if (std::isfinite(d)) return d;
    } catch (const std::exception&) {  // out of range: 1e999
    }
    throw UsageError("--" + name + " must be a finite number, got \"" + *v + "\"");
  }
  throw UsageError("--" + name + " must be a decimal number, got \"" + *v + "\"");
}

long long Arguments::integer(const std::string& name, long long fallback) const {
  const auto v = value(name);
  if (!v) return fallback;
  try {
    size_t used = 0;
    const long long n = std::stoll(*v, &used);
    if (used == v->size()) return n;
  } catch (const std::exception&) {
  }
  throw UsageError("--" + name + " must be an integer, got \"" + *v + "\"");
}

}  // namespace tpt::cli
