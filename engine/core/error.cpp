#include "core/error.h"

namespace tpt {

std::string format_at(const SourceLocation& where, const std::string& reason) {
  if (where.file.empty()) return reason;
  if (where.line <= 0) return where.file + ": " + reason;
  return where.file + ":" + std::to_string(where.line) + ": " + reason;
}

static std::string summarize(const std::string& source, const std::vector<FieldIssue>& issues) {
  std::string text = source.empty() ? std::string() : source + ": ";
  text += std::to_string(issues.size()) + (issues.size() == 1 ? " error" : " errors");
  for (const auto& issue : issues) text += "\n  " + issue.to_string();
  return text;
}

ValidationError::ValidationError(std::string source, std::vector<FieldIssue> issues)
    : Error(summarize(source, issues)), source_(std::move(source)), issues_(std::move(issues)) {}

}  // namespace tpt
