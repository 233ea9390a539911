// The program in a model's completion: the code the judge runs.
//
// Rules (chosen for chat models that explain, then answer with one block):
//   - A fence is a line whose first non-blank characters are three or more backticks; the
//     opening fence's info word names the language.
//   - Python blocks (```python, ```py, ```python3, any case) win: the last of them is taken.
//   - Without one, the last untagged block (```) is taken. Blocks tagged as another language
//     (```cpp, ```text, ```bash) are never taken: running C++ as Python only adds syntax errors.
//   - An opening fence that is never closed runs to the end of the completion: a generation cut
//     at its token limit still gets judged (it usually fails, but sometimes it was complete).
//   - No block, or only empty ones: std::nullopt (the NoCode verdict).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tpt::code {

std::optional<std::string> extract_program(std::string_view completion);

}  // namespace tpt::code
