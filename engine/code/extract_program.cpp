#include "code/extract_program.h"

#include <vector>

namespace tpt::code {

namespace {

struct Line {
  std::string_view text;  // without its '\n'
  size_t begin = 0;       // offset of the line in the completion
  size_t next = 0;        // offset just past its '\n' (or the end)
};

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    lines.push_back({text.substr(pos, end - pos), pos, nl == std::string_view::npos ? text.size() : nl + 1});
    pos = lines.back().next;
  }
  return lines;
}

// The info word after a fence ("python" in "```python  "), lowercased; nullopt when the line
// is not a fence.
std::optional<std::string> fence_info(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  size_t ticks = 0;
  while (i + ticks < line.size() && line[i + ticks] == '`') ++ticks;
  if (ticks < 3) return std::nullopt;
  std::string_view rest = line.substr(i + ticks);
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  size_t word_end = 0;
  while (word_end < rest.size() && rest[word_end] != ' ' && rest[word_end] != '\t' && rest[word_end] != '\r' &&
         rest[word_end] != '{')
    ++word_end;
  std::string word(rest.substr(0, word_end));
  for (char& c : word)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return word;
}

bool is_python(const std::string& info) { return info == "python" || info == "py" || info == "python3"; }

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

}  // namespace

std::optional<std::string> extract_program(std::string_view completion) {
  const auto lines = split_lines(completion);
  std::optional<std::string> last_python, last_plain;
  size_t i = 0;
  while (i < lines.size()) {
    auto info = fence_info(lines[i].text);
    if (!info) {
      ++i;
      continue;
    }
    // The block runs to the next fence line, or to the end when it is never closed.
    size_t j = i + 1;
    while (j < lines.size() && !fence_info(lines[j].text)) ++j;
    const size_t body_begin = lines[i].next;
    const size_t body_end = j < lines.size() ? lines[j].begin : completion.size();
    std::string body(completion.substr(body_begin, body_end - body_begin));
    if (!blank(body)) {
      if (is_python(*info)) last_python = body;
      else if (info->empty()) last_plain = body;
    }
    i = j + 1;  // past the closing fence
  }
  if (last_python) return last_python;
  return last_plain;
}

}  // namespace tpt::code
