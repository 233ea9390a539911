#include "io/model_digest.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/error.h"
#include "core/hash.h"

namespace fs = std::filesystem;

namespace tpt::io {

namespace {

// Word-at-a-time mixing: the weights of a multi-gigabyte model hash at memory speed, where a
// byte-wise FNV pass would take seconds per gigabyte on every resume.
struct Digest {
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  uint64_t bytes = 0;  // of file content

  void add(const char* data, size_t size) {
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
      uint64_t word;
      std::memcpy(&word, data + i, 8);
      state = mix64(state ^ word);
    }
    uint64_t tail = 0;
    std::memcpy(&tail, data + i, size - i);
    state = mix64(state ^ tail ^ (static_cast<uint64_t>(size - i) << 56));
  }
  void add(const std::string& text) {
    add(text.data(), text.size());
    state = mix64(state ^ text.size());
  }
};

void add_file(Digest& digest, const fs::path& path, const std::string& name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError({path.string(), 0}, "cannot read the file to check the model's digest");
  digest.add(name);
  std::vector<char> buffer(size_t{1} << 20);
  uint64_t size = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    digest.add(buffer.data(), got);
    size += got;
  }
  if (in.bad()) throw FileError({path.string(), 0}, "read error while checking the model's digest");
  digest.add(std::to_string(size));
  digest.bytes += size;
}

}  // namespace

std::string model_digest(const std::string& folder) {
  const fs::path root(folder);
  std::error_code ec;
  if (fs::is_symlink(root, ec))
    throw FileError({folder, 0}, "is a link (to " + fs::read_symlink(root, ec).string() +
                                     "), not a model folder written by this experiment");
  if (!fs::is_directory(root, ec)) throw FileError({folder, 0}, "missing, or not a folder");
  std::vector<std::pair<std::string, fs::path>> files;
  const auto collect = [&](const fs::path& dir, const std::string& prefix) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string name = prefix + entry.path().filename().string();
      if (entry.is_symlink())
        throw FileError({entry.path().string(), 0}, "is a link: a model folder written by a round holds files only");
      if (entry.is_directory()) continue;
      if (!entry.is_regular_file())
        throw FileError({entry.path().string(), 0}, "not a regular file: a model folder holds files only");
      files.emplace_back(name, entry.path());
    }
  };
  collect(root, "");
  if (fs::is_directory(root / "adapter", ec) && !fs::is_symlink(root / "adapter", ec)) collect(root / "adapter", "adapter/");
  std::sort(files.begin(), files.end());
  Digest digest;
  for (const auto& [name, path] : files) add_file(digest, path, name);
  return "v1:" + hex64(digest.state) + ":" + std::to_string(digest.bytes);
}

}  // namespace tpt::io
