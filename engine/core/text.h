// Small string helpers shared across the engine.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tpt {

std::string_view trim(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
std::vector<std::string_view> split_lines(std::string_view s);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
// A short, single-line excerpt of s for error messages: newlines escaped, cut at max_chars.
std::string excerpt(std::string_view s, size_t max_chars = 60);
// "a", "b" or "c" — for messages that list the allowed values.
std::string quoted_list(const std::vector<std::string>& values);

}  // namespace tpt
