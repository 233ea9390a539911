// Helpers shared by the libFuzzer targets (tests/fuzz/fuzz_*.cpp).
//
// Each target feeds its input to one of the engine's parsers. The parser may refuse the input
// with the exceptions it documents (tpt::Error and its subclasses; nlohmann's parse_error for
// text that is not JSON): those are caught by the target. Anything else (a crash, a sanitizer
// report, another exception escaping, a broken invariant checked with FUZZ_EXPECT) is a finding
// that libFuzzer keeps as a crash input.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

namespace tpt::fuzz {

[[noreturn]] inline void invariant_broken(const char* file, int line, const char* condition, const std::string& detail) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n  %s\n", file, line, condition, detail.c_str());
  std::fflush(stderr);
  std::abort();
}

// FUZZ_EXPECT(condition, detail): abort with `detail` (a std::string) when condition is false.
#define FUZZ_EXPECT(condition, detail)                                                    \
  do {                                                                                    \
    if (!(condition)) ::tpt::fuzz::invariant_broken(__FILE__, __LINE__, #condition, detail); \
  } while (0)

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Two inputs in one: the bytes before the first NUL and those after it (empty when there is
// none). JSON text never holds a raw NUL, so a document and a string to run it on fit in one
// input without escaping.
inline std::pair<std::string_view, std::string_view> split_at_nul(std::string_view text) {
  const size_t nul = text.find('\0');
  if (nul == std::string_view::npos) return {text, {}};
  return {text.substr(0, nul), text.substr(nul + 1)};
}

// Quoted and cut short, for messages.
inline std::string show(std::string_view text) {
  std::string out = "\"";
  for (char c : text.substr(0, 200)) {
    if (c == '\n') out += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20) out += "\\x" + std::to_string(static_cast<unsigned char>(c));
    else out += c;
  }
  return out + (text.size() > 200 ? "\"..." : "\"");
}

// The input as a file, for readers that take a path: one in-memory file (memfd), rewritten for
// each input and named by its /proc/self/fd path, so fuzzing does not touch the disk.
class InputFile {
 public:
  InputFile() : fd_(::memfd_create("tpt-fuzz-input", 0)) {
    if (fd_ < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // Replaces the file's content and returns its path.
  const std::string& write(std::string_view bytes) {
    if (::ftruncate(fd_, 0) != 0 ||
        (bytes.size() > 0 && ::pwrite(fd_, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()))) {
      std::perror("memfd write");
      std::abort();
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace tpt::fuzz
