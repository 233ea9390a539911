#include "io/json_parse.h"

#include <string>

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
  return nlohmann::json::parse(text);
}

}  // namespace tpt::io
