#include "cli/arguments.h"

#include <algorithm>

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

double Arguments::number(const std::string& name, double fallback) const {
  const auto v = value(name);
  if (!v) return fallback;
  try {
    size_t used = 0;
    const double d = std::stod(*v, &used);
    if (used == v->size()) return d;
  } catch (const std::exception&) {
  }
  throw UsageError("--" + name + " must be a number, got \"" + *v + "\"");
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
