// Command-line parsing for `tpt` subcommands: --name value, --name=value, boolean flags and
// positionals, with errors that name the offending argument.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"

namespace tpt::cli {

class UsageError : public Error {
 public:
  using Error::Error;
};

class Arguments {
 public:
  // `value_options` take a value; `flag_options` do not. Anything else starting with "--" is an
  // error (a typo must not be silently ignored).
  Arguments(const std::vector<std::string>& args, const std::set<std::string>& value_options,
            const std::set<std::string>& flag_options);

  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;
  std::string value_or(const std::string& name, const std::string& fallback) const;
  std::string required(const std::string& name) const;
  // Value restricted to `allowed`.
  std::string choice(const std::string& name, const std::vector<std::string>& allowed, const std::string& fallback) const;
  // Numeric values; UsageError naming the option when the text is not a number. number() takes
  // finite decimals only ("0.7", "-1", "2e-5"): not "nan", "inf" or "0x10".
  double number(const std::string& name, double fallback) const;
  long long integer(const std::string& name, long long fallback) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positionals_;
};

}  // namespace tpt::cli
