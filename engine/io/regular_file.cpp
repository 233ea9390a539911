#include "io/regular_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "core/error.h"

namespace tpt::io {

std::string describe_file_kind(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return "a regular file";
    case S_IFIFO: return "a FIFO";
    case S_IFDIR: return "a directory";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFSOCK: return "a socket";
    case S_IFLNK: return "a symbolic link";
  }
  return "not a file";
}

void require_regular_file(const std::string& path) {
  struct stat st {};
  // stat, not open: opening a FIFO for reading waits for a writer.
  if (::stat(path.c_str(), &st) != 0) throw FileError({path, 0}, std::string("cannot open file: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    throw FileError({path, 0}, "not a regular file (" + describe_file_kind(static_cast<unsigned>(st.st_mode)) + ")");
}

std::ifstream open_regular_file(const std::string& path) {
  require_regular_file(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError({path, 0}, std::string("cannot open file: ") + std::strerror(errno));
  return in;
}

std::string read_regular_file(const std::string& path) {
  std::ifstream in = open_regular_file(path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw FileError({path, 0}, "read error");
  return buffer.str();
}

std::string describe_bytes(size_t bytes) {
  constexpr size_t kKiB = 1024, kMiB = kKiB * 1024;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes >= kKiB && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + " KiB";
  return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
}

LineReader::LineReader(std::istream& in, std::string source, size_t max_line)
    : in_(&in), source_(std::move(source)), max_line_(max_line) {}

LineReader::LineReader(const std::string& path, size_t max_line)
    : file_(std::make_unique<std::ifstream>(open_regular_file(path))),
      in_(file_.get()),
      source_(path),
      max_line_(max_line) {}

LineReader::LineReader(LineReader&&) noexcept = default;
LineReader& LineReader::operator=(LineReader&&) noexcept = default;
LineReader::~LineReader() = default;

bool LineReader::next(std::string& line) {
  line.clear();
  // istream::getline into a fixed chunk reads at most the chunk, so a line is gathered piece by
  // piece and its length checked as it grows; unlike std::getline into a string, a stream
  // without newlines cannot grow the line without end. It also returns as soon as a line ends,
  // so a person typing at stdin gets each line's answer at once.
  char chunk[1 << 16];
  bool extracted = false;
  for (;;) {
    in_->getline(chunk, sizeof chunk);
    const auto got = static_cast<size_t>(in_->gcount());
    if (in_->bad()) throw FileError({source_, line_ + 1}, "read error");
    const bool eof = in_->eof(), fail = in_->fail();
    size_t stored = got;
    bool ended = true;
    if (!fail && !eof) {
      stored = got - 1;  // the '\n' was taken and counted, not stored
    } else if (fail && !eof) {
      ended = false;  // the chunk is full: the line goes on
      in_->clear();
    } else if (fail && got == 0) {
      if (!extracted) return false;  // the end of the stream
    }
    if (line.size() + stored > max_line_)
      throw FileError({source_, line_ + 1}, "line " + std::to_string(line_ + 1) + " is longer than " +
                                                describe_bytes(max_line_) + ": not a file of text lines?");
    line.append(chunk, stored);
    extracted = extracted || got > 0;
    if (ended) {
      ++line_;
      return true;
    }
  }
}

}  // namespace tpt::io
