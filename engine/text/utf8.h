// UTF-8 helpers for the tokenizer: walking code points, checking validity, and turning byte
// sequences that may end mid-character (streamed tokens) into text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tpt::text {

// Bytes in the UTF-8 sequence that starts with `lead` (1 for stray continuation bytes, so a
// walk over invalid text still advances).
size_t utf8_sequence_length(unsigned char lead);

// Decodes the code point at s[pos] and advances pos; invalid bytes decode as U+FFFD, one byte
// at a time.
char32_t next_code_point(std::string_view s, size_t& pos);

void append_utf8(std::string& out, char32_t cp);
std::string to_utf8(char32_t cp);

// Byte offset of the first invalid sequence, or npos when s is valid UTF-8.
size_t find_invalid_utf8(std::string_view s);

// Length of the longest prefix of s that does not end inside an incomplete (but so far valid)
// UTF-8 sequence: what a streaming decoder can show now.
size_t complete_utf8_prefix(std::string_view s);

// Replaces each invalid sequence by U+FFFD the way Rust's String::from_utf8_lossy does (one
// replacement per maximal invalid subpart), which is what the reference decoders do.
std::string utf8_lossy(std::string_view bytes);

// Unicode White_Space (Rust's char::is_whitespace): what added tokens' lstrip/rstrip absorb.
bool is_white_space(char32_t cp);

// Python's str.isspace() for one code point (what Jinja's `trim` strips in chat templates).
bool is_python_space(char32_t cp);
// s without leading and trailing code points for which is_python_space holds.
std::string python_strip(std::string_view s);

}  // namespace tpt::text
