// Opening the files the engine reads by name (model weights and configs, tokenizers, problem and
// sample files, rule sets, experiment.json) as regular files only, and reading text lines with a
// bound on their length.
//
// A FIFO named model.safetensors blocks open() until some writer appears, and /dev/zero given as
// a JSONL file is a line that never ends: both are refused up front with the path and what it
// is ("data.jsonl: not a regular file (a FIFO)"). Streams that are not files by design (stdin,
// where the CLI documents "-") are read through LineReader, whose bound on a line turns an
// endless stream without newlines into an error at its first line instead of an unbounded read.
// Torch-free.
#pragma once

#include <cstddef>
#include <fstream>
#include <istream>
#include <memory>
#include <string>

namespace tpt::io {

// No line of a JSONL file, a tokenizer's input or a sample file comes near this; a longer one
// is a wrong file (a binary, a device) rather than data.
constexpr size_t kMaxLineBytes = size_t{64} << 20;  // 64 MiB

// "a FIFO", "a directory", "a character device", "a block device", "a socket": what a file of
// this st_mode is, for messages.
std::string describe_file_kind(unsigned mode);

// Throws FileError "path: cannot open file: No such file or directory" when `path` does not
// exist or cannot be inspected, "path: not a regular file (a FIFO)" when it is not a regular file
// (symbolic links are followed). Never blocks: it only inspects the path.
void require_regular_file(const std::string& path);

// A regular file opened for binary reading. Throws FileError as require_regular_file, or
// "cannot open file: ..." when it cannot be opened.
std::ifstream open_regular_file(const std::string& path);

// The whole content of a regular file. Throws FileError.
std::string read_regular_file(const std::string& path);

// Lines of a stream, each at most `max_line` bytes (the '\n' not counted; a '\r' before it is
// kept, for callers that care). A final line without '\n' counts as a line.
class LineReader {
 public:
  // Reads `in` (stdin, text in memory); `source` names it in errors ("<stdin>"). `in` must
  // outlive the reader.
  LineReader(std::istream& in, std::string source, size_t max_line = kMaxLineBytes);
  // Reads the regular file `path`; throws FileError as open_regular_file.
  explicit LineReader(const std::string& path, size_t max_line = kMaxLineBytes);
  LineReader(LineReader&&) noexcept;
  LineReader& operator=(LineReader&&) noexcept;
  ~LineReader();

  // The next line, without its '\n'; false at the end of the stream. Throws FileError
  // "source:N: line N is longer than 64 MiB ..." and "source:N: read error".
  bool next(std::string& line);
  // 1-based number of the line last returned (0 before the first).
  long line_number() const { return line_; }
  const std::string& source() const { return source_; }

 private:
  std::unique_ptr<std::ifstream> file_;  // owned when reading a file by path
  std::istream* in_ = nullptr;
  std::string source_;
  size_t max_line_ = kMaxLineBytes;
  long line_ = 0;
};

// "64 MiB", "1 KiB", "100 bytes": a size for messages.
std::string describe_bytes(size_t bytes);

}  // namespace tpt::io
