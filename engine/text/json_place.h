// Reading tokenizer.json and its sibling configs: every value is read through a JsonPlace
// (file + JSON path) so a malformed or unsupported entry is reported as
//   tokenizer.json: model.merges[12]: expected "a b" or ["a", "b"], got 17
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace tpt::text {

using nlohmann::json;

class JsonPlace {
 public:
  JsonPlace(std::string file, std::string path = "") : file_(std::move(file)), path_(std::move(path)) {}

  JsonPlace at(const std::string& key) const;
  JsonPlace at(size_t index) const;

  // Throws tpt::FileError("<file>: <path>: <message>").
  [[noreturn]] void fail(const std::string& message) const;

  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

  // Field readers for an object `obj` at this place. Missing and null fields take the
  // fallback; a field of the wrong type fails.
  const json& object(const json& obj) const;  // obj itself, which must be an object
  const json& required(const json& obj, const char* key) const;
  std::string string(const json& obj, const char* key, const std::string& fallback) const;
  std::string required_string(const json& obj, const char* key) const;
  // A string field that must hold exactly one character (one UTF-8 code point), as Hugging
  // Face's `char` fields do: Metaspace's replacement, Strip's content.
  std::string character(const json& obj, const char* key, const std::string& fallback) const;
  bool boolean(const json& obj, const char* key, bool fallback) const;
  int64_t integer(const json& obj, const char* key, int64_t fallback) const;
  // The component's "type" field, for dispatching on it.
  std::string type(const json& obj) const { return required_string(obj, "type"); }
  [[noreturn]] void unsupported_type(const json& obj, const char* what) const;

 private:
  std::string file_;
  std::string path_;
};

}  // namespace tpt::text
