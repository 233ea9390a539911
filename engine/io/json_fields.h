// Reading JSON documents (experiment.json, rule sets) field by field, collecting every
// problem with its JSON path instead of stopping at the first one.
//
//   JsonObjectReader think(doc["think"], "think", issues);
//   think.number("temperature", cfg.temperature, {0.0, 5.0});
//   think.finish();   // unknown keys ("temprature") become issues too
//
// A missing key keeps the field's current value: the struct's initialisers are the defaults.
//
// Also reading and writing whole JSON files (read_json_file, write_json_file).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace tpt::io {

struct NumberRange {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;
};

struct IntRange {
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
};

// "a.b" + "c" -> "a.b.c"; "" + "c" -> "c"; "rules" + 2 -> "rules[2]".
std::string json_path(const std::string& parent, const std::string& key);
std::string json_path(const std::string& parent, size_t index);

// The value as a whole number: an integer within int64_t, or a float with no fraction below
// 9e15 (4.0); std::nullopt for anything else (2.5, 1e20, "4").
std::optional<int64_t> whole_number(const nlohmann::json& value);

// A short rendering of a JSON value for messages ("got -1", "got \"hot\"").
std::string describe_json(const nlohmann::json& value);

class JsonObjectReader {
 public:
  // `value` must outlive the reader. If it is not an object, one issue is recorded and every
  // read is a no-op.
  JsonObjectReader(const nlohmann::json& value, std::string path, std::vector<FieldIssue>& issues);

  bool is_object() const { return object_ != nullptr; }
  const std::string& path() const { return path_; }
  bool has(const char* key) const;

  void number(const char* key, double& out, NumberRange range = {});
  void integer(const char* key, int64_t& out, IntRange range = {});
  void integer(const char* key, int& out, IntRange range = {});
  void boolean(const char* key, bool& out);
  void string(const char* key, std::string& out, bool allow_empty = true);
  void choice(const char* key, std::string& out, const std::vector<std::string>& allowed);
  void strings(const char* key, std::vector<std::string>& out);
  void integers(const char* key, std::vector<int64_t>& out, IntRange range = {});
  // null or absent -> std::nullopt
  void optional_number(const char* key, std::optional<double>& out, NumberRange range = {});
  void optional_integer(const char* key, std::optional<int64_t>& out, IntRange range = {});

  // Marks `key` as known and returns its value (nullptr when absent); for nested objects and
  // arrays the caller reads itself.
  const nlohmann::json* child(const char* key);
  std::string child_path(const char* key) const { return json_path(path_, key); }

  // Records an issue at this object's `key`.
  void fail(const char* key, const std::string& message);

  // Reports keys that no read asked for, with a suggestion when one is a near miss.
  void finish();

 private:
  const nlohmann::json* take(const char* key);

  const nlohmann::json* object_ = nullptr;
  std::string path_;
  std::vector<FieldIssue>& issues_;
  std::set<std::string> known_;
};

// Throws ValidationError(source, issues) when `issues` is not empty.
void throw_if_issues(const std::string& source, std::vector<FieldIssue> issues);

// Parses a JSON file; syntax errors throw FileError with the line and column, and so does a path
// that is not a regular file (see regular_file.h).
nlohmann::json read_json_file(const std::string& path);
// Parses JSON text; `source` names it in errors (a path, or "<stdin>").
nlohmann::json parse_json_text(const std::string& text, const std::string& source);
// Writes `value` pretty-printed, atomically (temp file + rename), so a crash never leaves a
// half-written config behind.
void write_json_file(const std::string& path, const nlohmann::json& value);

}  // namespace tpt::io
