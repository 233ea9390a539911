#include "io/json_parse.h"

#include <string>

#include "core/error.h"
#include "io/regular_file.h"

namespace tpt::io {

nlohmann::json parse_json_bounded(std::string_view text, int max_depth) {
  // Brackets inside strings do not nest; a backslash escapes the next character.
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        throw nlohmann::json::parse_error::create(
            101, i + 1, "syntax error while parsing value - nested more than " + std::to_string(max_depth) + " levels deep",
            nullptr);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::out_of_range& e) {
    // nlohmann reports a number too large for a double ("1E400") as out_of_range 406, not as a
    // parse_error: readers that catch parse_error to name their file let it escape (a safetensors
    // header, config.json, a `tpt serve` body answered with a 500). Malformed JSON is one error.
    const std::string what = e.what();
    const size_t open = what.find('\''), close = what.rfind('\'');
    size_t byte = text.size();
    if (open != std::string::npos && close > open) {
      const size_t at = text.find(what.substr(open + 1, close - open - 1));
      if (at != std::string_view::npos) byte = at + 1;
    }
    const size_t message = what.find("] ");
    throw nlohmann::json::parse_error::create(
        101, byte, "syntax error while parsing value - " + (message == std::string::npos ? what : what.substr(message + 2)),
        nullptr);
  }
}

nlohmann::json parse_json_or_discarded(std::string_view text) {
  try {
    return parse_json_bounded(text);
  } catch (const nlohmann::json::exception&) {
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
}

nlohmann::json read_json_or_discarded(const std::string& path) {
  try {
    return parse_json_or_discarded(read_regular_file(path));
  } catch (const Error&) {
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
}

}  // namespace tpt::io
