#include "text/json_place.h"

#include "core/error.h"
#include "io/json_fields.h"
#include "text/utf8.h"

namespace tpt::text {

JsonPlace JsonPlace::at(const std::string& key) const { return JsonPlace(file_, io::json_path(path_, key)); }
JsonPlace JsonPlace::at(size_t index) const { return JsonPlace(file_, io::json_path(path_, index)); }

void JsonPlace::fail(const std::string& message) const {
  throw FileError({file_, 0}, path_.empty() ? message : path_ + ": " + message);
}

const json& JsonPlace::object(const json& obj) const {
  if (!obj.is_object()) fail("expected an object, got " + io::describe_json(obj));
  return obj;
}

const json& JsonPlace::required(const json& obj, const char* key) const {
  object(obj);
  auto it = obj.find(key);
  if (it == obj.end()) at(key).fail("required field is missing");
  return *it;
}

std::string JsonPlace::string(const json& obj, const char* key, const std::string& fallback) const {
  object(obj);
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_string()) at(key).fail("expected a string, got " + io::describe_json(*it));
  return it->get<std::string>();
}

std::string JsonPlace::required_string(const json& obj, const char* key) const {
  const json& v = required(obj, key);
  if (!v.is_string()) at(key).fail("expected a string, got " + io::describe_json(v));
  return v.get<std::string>();
}

std::string JsonPlace::character(const json& obj, const char* key, const std::string& fallback) const {
  const std::string value = string(obj, key, fallback);
  size_t end = 0;
  if (!value.empty()) next_code_point(value, end);
  if (value.empty() || end != value.size())
    at(key).fail("expected a single character, got " + io::describe_json(value));
  return value;
}

bool JsonPlace::boolean(const json& obj, const char* key, bool fallback) const {
  object(obj);
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) at(key).fail("expected true or false, got " + io::describe_json(*it));
  return it->get<bool>();
}

int64_t JsonPlace::integer(const json& obj, const char* key, int64_t fallback) const {
  object(obj);
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) at(key).fail("expected an integer, got " + io::describe_json(*it));
  return it->get<int64_t>();
}

void JsonPlace::unsupported_type(const json& obj, const char* what) const {
  at("type").fail(std::string("unsupported ") + what + " " + io::describe_json(obj.at("type")));
}

}  // namespace tpt::text
