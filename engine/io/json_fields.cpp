#include "io/json_fields.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/text.h"
#include "io/atomic_file.h"
#include "io/json_parse.h"
#include "io/regular_file.h"

namespace tpt::io {

using nlohmann::json;

std::string json_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string json_path(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

namespace {

// Writes `value` as JSON until `out` holds `limit` characters: a message quotes the start of a
// value, and never walks (or copies) the whole of a large one.
void write_prefix(const json& value, std::string& out, size_t limit) {
  if (out.size() >= limit) return;
  switch (value.type()) {
    case json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& item : value) {
        if (out.size() >= limit) return;
        if (!first) out += ',';
        first = false;
        write_prefix(item, out, limit);
      }
      out += ']';
      return;
    }
    case json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : value.items()) {
        if (out.size() >= limit) return;
        if (!first) out += ',';
        first = false;
        out += json(key.substr(0, limit)).dump(-1, ' ', false, json::error_handler_t::replace) + ':';
        write_prefix(item, out, limit);
      }
      out += '}';
      return;
    }
    case json::value_t::string: {
      const auto& text = value.get_ref<const std::string&>();
      out += json(text.substr(0, limit)).dump(-1, ' ', false, json::error_handler_t::replace);
      return;
    }
    default:
      out += value.dump();
  }
}

}  // namespace

std::optional<int64_t> whole_number(const json& value) {
  if (value.is_number_unsigned())
    return value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
               ? std::nullopt
               : std::optional<int64_t>(static_cast<int64_t>(value.get<uint64_t>()));
  if (value.is_number_integer()) return value.get<int64_t>();
  // 4.0 is a fine way to write 4; 1e20 or 2.5 is not a count (and 1e20 would not convert).
  if (value.is_number_float() && std::floor(value.get<double>()) == value.get<double>() &&
      std::fabs(value.get<double>()) < 9.0e15)
    return static_cast<int64_t>(value.get<double>());
  return std::nullopt;
}

std::string describe_json(const json& value) {
  constexpr size_t kShown = 60;
  std::string text;
  write_prefix(value, text, kShown + 1);
  if (text.size() > kShown) {
    // Cut on a character boundary: the message may itself be stored as JSON (the run's event
    // log), and half a UTF-8 character would make that dump throw.
    size_t cut = kShown - 3;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut) + "...";
  }
  return text;
}

static const char* type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "an unsupported value";
  }
}

static std::string format_number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

static std::string range_text(const NumberRange& r) {
  const bool has_min = std::isfinite(r.min), has_max = std::isfinite(r.max);
  if (has_min && has_max)
    return std::string("must be in ") + (r.min_exclusive ? "(" : "[") + format_number(r.min) + ", " +
           format_number(r.max) + "]";
  if (has_min) return std::string("must be ") + (r.min_exclusive ? "> " : ">= ") + format_number(r.min);
  return "must be <= " + format_number(r.max);
}

static bool in_range(double v, const NumberRange& r) {
  if (std::isnan(v)) return false;
  if (r.min_exclusive ? !(v > r.min) : !(v >= r.min)) return false;
  return v <= r.max;
}

static std::string range_text(const IntRange& r) {
  const bool has_min = r.min != std::numeric_limits<int64_t>::min();
  const bool has_max = r.max != std::numeric_limits<int64_t>::max();
  if (has_min && has_max) return "must be an integer in [" + std::to_string(r.min) + ", " + std::to_string(r.max) + "]";
  if (has_min) return "must be an integer >= " + std::to_string(r.min);
  if (has_max) return "must be an integer <= " + std::to_string(r.max);
  return "must be an integer";
}

JsonObjectReader::JsonObjectReader(const json& value, std::string path, std::vector<FieldIssue>& issues)
    : path_(std::move(path)), issues_(issues) {
  if (value.is_object()) {
    object_ = &value;
  } else {
    issues_.push_back({path_, std::string("must be an object, got ") + type_name(value)});
  }
}

bool JsonObjectReader::has(const char* key) const {
  return object_ && object_->contains(key);
}

const json* JsonObjectReader::take(const char* key) {
  known_.insert(key);
  if (!object_) return nullptr;
  auto it = object_->find(key);
  return it == object_->end() ? nullptr : &*it;
}

const json* JsonObjectReader::child(const char* key) { return take(key); }

void JsonObjectReader::fail(const char* key, const std::string& message) {
  issues_.push_back({json_path(path_, key), message});
}

void JsonObjectReader::number(const char* key, double& out, NumberRange range) {
  const json* v = take(key);
  if (!v) return;
  if (!v->is_number()) {
    fail(key, range_text(range) + ", got " + type_name(*v) + " " + describe_json(*v));
    return;
  }
  double d = v->get<double>();
  if (!std::isfinite(d)) {
    // Parsed JSON holds neither (parse_json_text refuses 1e999), but a document built in code,
    // such as the Setup panel's, may hold NaN or infinity.
    fail(key, std::string("must be a finite number, got ") + (std::isnan(d) ? "NaN" : "infinity"));
    return;
  }
  if (!in_range(d, range)) {
    fail(key, range_text(range) + ", got " + describe_json(*v));
    return;
  }
  out = d;
}

void JsonObjectReader::integer(const char* key, int64_t& out, IntRange range) {
  const json* v = take(key);
  if (!v) return;
  const std::optional<int64_t> whole = whole_number(*v);
  if (!whole) {
    fail(key, range_text(range) + ", got " + (v->is_number() ? "" : std::string(type_name(*v)) + " ") + describe_json(*v));
    return;
  }
  const int64_t value = *whole;
  if (value < range.min || value > range.max) {
    fail(key, range_text(range) + ", got " + describe_json(*v));
    return;
  }
  out = value;
}

void JsonObjectReader::integer(const char* key, int& out, IntRange range) {
  range.min = std::max<int64_t>(range.min, std::numeric_limits<int>::min());
  range.max = std::min<int64_t>(range.max, std::numeric_limits<int>::max());
  int64_t wide = out;
  integer(key, wide, range);
  out = static_cast<int>(wide);
}

void JsonObjectReader::boolean(const char* key, bool& out) {
  const json* v = take(key);
  if (!v) return;
  if (!v->is_boolean()) {
    fail(key, std::string("must be true or false, got ") + describe_json(*v));
    return;
  }
  out = v->get<bool>();
}

void JsonObjectReader::string(const char* key, std::string& out, bool allow_empty) {
  const json* v = take(key);
  if (!v) return;
  if (!v->is_string()) {
    fail(key, std::string("must be a string, got ") + type_name(*v) + " " + describe_json(*v));
    return;
  }
  if (!allow_empty && v->get<std::string>().empty()) {
    fail(key, "must not be empty");
    return;
  }
  out = v->get<std::string>();
}

void JsonObjectReader::choice(const char* key, std::string& out, const std::vector<std::string>& allowed) {
  const json* v = take(key);
  if (!v) return;
  if (!v->is_string() || std::find(allowed.begin(), allowed.end(), v->get<std::string>()) == allowed.end()) {
    fail(key, "must be one of " + quoted_list(allowed) + ", got " + describe_json(*v));
    return;
  }
  out = v->get<std::string>();
}

void JsonObjectReader::strings(const char* key, std::vector<std::string>& out) {
  const json* v = take(key);
  if (!v) return;
  if (!v->is_array()) {
    fail(key, std::string("must be an array of strings, got ") + type_name(*v));
    return;
  }
  std::vector<std::string> values;
  bool ok = true;
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) {
      issues_.push_back({json_path(json_path(path_, key), i), std::string("must be a string, got ") + describe_json((*v)[i])});
      ok = false;
    } else {
      values.push_back((*v)[i].get<std::string>());
    }
  }
  if (ok) out = std::move(values);
}

void JsonObjectReader::integers(const char* key, std::vector<int64_t>& out, IntRange range) {
  const json* v = take(key);
  if (!v) return;
  if (!v->is_array()) {
    fail(key, std::string("must be an array of integers, got ") + type_name(*v));
    return;
  }
  std::vector<int64_t> values;
  bool ok = true;
  for (size_t i = 0; i < v->size(); ++i) {
    const json& item = (*v)[i];
    if (!item.is_number_integer() || item.get<int64_t>() < range.min || item.get<int64_t>() > range.max) {
      issues_.push_back({json_path(json_path(path_, key), i), range_text(range) + ", got " + describe_json(item)});
      ok = false;
    } else {
      values.push_back(item.get<int64_t>());
    }
  }
  if (ok) out = std::move(values);
}

void JsonObjectReader::optional_number(const char* key, std::optional<double>& out, NumberRange range) {
  const json* v = take(key);
  if (!v) return;
  if (v->is_null()) {
    out.reset();
    return;
  }
  double value = out.value_or(0.0);
  number(key, value, range);
  if (v->is_number() && std::isfinite(v->get<double>()) && in_range(v->get<double>(), range)) out = value;
}

void JsonObjectReader::optional_integer(const char* key, std::optional<int64_t>& out, IntRange range) {
  const json* v = take(key);
  if (!v) return;
  if (v->is_null()) {
    out.reset();
    return;
  }
  const size_t before = issues_.size();
  int64_t value = out.value_or(0);
  integer(key, value, range);
  if (issues_.size() == before) out = value;
}

// Levenshtein distance, for "did you mean" on misspelt keys.
static size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

void JsonObjectReader::finish() {
  if (!object_) return;
  for (auto it = object_->begin(); it != object_->end(); ++it) {
    if (known_.count(it.key())) continue;
    std::string message = "unknown key";
    std::string best;
    size_t best_distance = 3;
    for (const auto& k : known_) {
      size_t d = edit_distance(it.key(), k);
      if (d < best_distance) {
        best_distance = d;
        best = k;
      }
    }
    if (!best.empty()) message += " (did you mean \"" + best + "\"?)";
    issues_.push_back({json_path(path_, it.key()), message});
  }
}

void throw_if_issues(const std::string& source, std::vector<FieldIssue> issues) {
  if (!issues.empty()) throw ValidationError(source, std::move(issues));
}

nlohmann::json parse_json_text(const std::string& text, const std::string& source) {
  try {
    return parse_json_bounded(text);
  } catch (const json::parse_error& e) {
    // nlohmann reports a byte offset; people need a line and column.
    size_t offset = std::min<size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    long line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < offset; ++i) {
      if (text[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    std::string reason = "invalid JSON at column " + std::to_string(offset - line_start + 1);
    std::string what = e.what();
    auto pos = what.find("syntax error");
    if (pos != std::string::npos) reason += ": " + what.substr(pos);
    throw FileError({source, line}, reason);
  } catch (const json::out_of_range& e) {
    // A number beyond double's range ("1e999"): nlohmann names the literal, not where it is.
    const std::string what = e.what();
    const size_t open = what.find('\''), close = what.rfind('\'');
    const std::string literal = open != std::string::npos && close > open ? what.substr(open + 1, close - open - 1) : "";
    long line = 0;
    if (const size_t at = literal.empty() ? std::string::npos : text.find(literal); at != std::string::npos)
      line = 1 + static_cast<long>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    throw FileError({source, line}, "number " + (literal.empty() ? std::string() : literal + " ") +
                                        "is beyond the range of a double: not a finite number");
  }
}

nlohmann::json read_json_file(const std::string& path) { return parse_json_text(read_regular_file(path), path); }

void write_json_file(const std::string& path, const nlohmann::json& value) {
  write_file_atomically(path, [&](std::ostream& out) { out << value.dump(2) << "\n"; });
}

}  // namespace tpt::io
