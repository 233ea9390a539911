#include "text/utf8.h"

namespace tpt::text {

size_t utf8_sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

// Length of the valid sequence at s[pos], or 0 when the bytes there are not one. `partial`
// reports a sequence that is valid so far but cut off by the end of s.
static size_t valid_sequence_at(std::string_view s, size_t pos, bool* partial = nullptr) {
  if (partial) *partial = false;
  const unsigned char b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) return 1;
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // beyond U+10FFFF
  } else {
    return 0;
  }
  for (size_t i = 1; i < need; ++i) {
    if (pos + i >= s.size()) {
      if (partial) *partial = true;
      return 0;
    }
    const unsigned char b = static_cast<unsigned char>(s[pos + i]);
    const unsigned char l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
    if (b < l || b > h) return 0;
  }
  return need;
}

// Bytes of the maximal invalid subpart at s[pos] (at least 1): a lead byte followed by the
// continuation bytes that were still acceptable before the sequence broke.
static size_t invalid_subpart_length(std::string_view s, size_t pos) {
  const unsigned char b0 = static_cast<unsigned char>(s[pos]);
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  size_t n = 1;
  while (n < need && pos + n < s.size()) {
    const unsigned char b = static_cast<unsigned char>(s[pos + n]);
    const unsigned char l = n == 1 ? lo : 0x80, h = n == 1 ? hi : 0xBF;
    if (b < l || b > h) break;
    ++n;
  }
  return n;
}

char32_t next_code_point(std::string_view s, size_t& pos) {
  const size_t n = valid_sequence_at(s, pos);
  if (n == 0) {
    ++pos;
    return 0xFFFD;
  }
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data() + pos);
  char32_t cp;
  switch (n) {
    case 1: cp = p[0]; break;
    case 2: cp = ((p[0] & 0x1F) << 6) | (p[1] & 0x3F); break;
    case 3: cp = ((p[0] & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F); break;
    default: cp = ((p[0] & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F); break;
  }
  pos += n;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string to_utf8(char32_t cp) {
  std::string out;
  append_utf8(out, cp);
  return out;
}

size_t find_invalid_utf8(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    const unsigned char b = static_cast<unsigned char>(s[pos]);
    if (b < 0x80) {
      ++pos;
      continue;
    }
    const size_t n = valid_sequence_at(s, pos);
    if (n == 0) return pos;
    pos += n;
  }
  return std::string_view::npos;
}

size_t complete_utf8_prefix(std::string_view s) {
  // Only the last three bytes can belong to an unfinished sequence.
  const size_t start = s.size() > 3 ? s.size() - 3 : 0;
  for (size_t pos = start; pos < s.size(); ++pos) {
    const unsigned char b = static_cast<unsigned char>(s[pos]);
    if ((b & 0xC0) == 0x80) continue;  // continuation byte
    bool partial = false;
    if (valid_sequence_at(s, pos, &partial) == 0 && partial) return pos;
  }
  return s.size();
}

std::string utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t n = valid_sequence_at(bytes, pos);
    if (n > 0) {
      out.append(bytes.data() + pos, n);
      pos += n;
    } else {
      out += "\xEF\xBF\xBD";
      pos += invalid_subpart_length(bytes, pos);
    }
  }
  return out;
}

bool is_white_space(char32_t cp) { return is_python_space(cp) && !(cp >= 0x1C && cp <= 0x1F); }

bool is_python_space(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000;
}

std::string python_strip(std::string_view s) {
  size_t begin = 0, end = s.size();
  while (begin < end) {
    size_t next = begin;
    if (!is_python_space(next_code_point(s, next))) break;
    begin = next;
  }
  // Walk back to code point starts for the tail.
  while (end > begin) {
    size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    size_t pos = start;
    if (!is_python_space(next_code_point(s, pos)) || pos != end) break;
    end = start;
  }
  return std::string(s.substr(begin, end - begin));
}

}  // namespace tpt::text
