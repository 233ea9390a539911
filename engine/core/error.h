// Errors the engine reports to people. Every message carries the context a user needs to act
// on it: the file and line, the JSON path of a field, what was expected and what was found.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace tpt {

// Base of every error the engine throws on bad input or a failed operation.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// A problem at a place in a text file: formats as "file:line: reason".
struct SourceLocation {
  std::string file;
  long line = 0;  // 1-based; 0 when the problem concerns the whole file
};

std::string format_at(const SourceLocation& where, const std::string& reason);

class FileError : public Error {
 public:
  FileError(SourceLocation where, const std::string& reason)
      : Error(format_at(where, reason)), where_(std::move(where)), reason_(reason) {}
  const SourceLocation& where() const { return where_; }
  const std::string& reason() const { return reason_; }

 private:
  SourceLocation where_;
  std::string reason_;
};

// One validation failure of a JSON document, addressed by its path ("think.temperature").
struct FieldIssue {
  std::string path;
  std::string message;
  std::string to_string() const { return path.empty() ? message : path + ": " + message; }
};

// Thrown when validation finds one or more problems; all of them are reported at once, so a
// user fixes a config in one pass instead of one error per run.
class ValidationError : public Error {
 public:
  ValidationError(std::string source, std::vector<FieldIssue> issues);
  const std::string& source() const { return source_; }
  const std::vector<FieldIssue>& issues() const { return issues_; }

 private:
  std::string source_;
  std::vector<FieldIssue> issues_;
};

}  // namespace tpt
