// nlohmann's parser with a bound on nesting. Files and requests the engine reads come from
// users, models and other programs; a value nested 100,000 levels deep parses, but then every
// recursive walk of it (dump() into an error message, flatten(), comparison) overflows the stack.
// No JSON the engine reads needs more than a few levels, so deeper input is refused up front
// with nlohmann's own parse_error, which every reader already reports with its file and line.
// Torch-free.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace tpt::io {

constexpr int kMaxJsonDepth = 512;

// Throws nlohmann::json::parse_error ("nested more than 512 levels deep" at the byte where it
// happens) before parsing anything deeper; otherwise json::parse(text), except that a number
// too large for a double ("1E400") is a parse_error too, not nlohmann's out_of_range.
nlohmann::json parse_json_bounded(std::string_view text, int max_depth = kMaxJsonDepth);

// The same, for JSON that is only looked into when it is well formed (a server's answer, a
// trainer's state file): a discarded value (is_discarded()) instead of an exception.
nlohmann::json parse_json_or_discarded(std::string_view text);

// A JSON file another program writes (trainer_state.json, a model's config.json) parsed as by
// parse_json_or_discarded; also discarded when it is absent, unreadable or not a regular file.
nlohmann::json read_json_or_discarded(const std::string& path);

}  // namespace tpt::io
