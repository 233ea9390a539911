#include "io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/error.h"

namespace fs = std::filesystem;

namespace tpt::io {

namespace {

std::string errno_text() { return std::strerror(errno); }

// fsync of a file or a folder.
void sync_path(const std::string& path, bool folder) {
  const int fd = ::open(path.c_str(), folder ? O_RDONLY | O_DIRECTORY : O_WRONLY);
  if (fd < 0) throw FileError({path, 0}, std::string("cannot open the ") + (folder ? "folder" : "file") +
                                             " to sync it: " + errno_text());
  // Some file systems cannot sync a folder (EINVAL): nothing more can be done there.
  const bool failed = ::fsync(fd) != 0 && !(folder && errno == EINVAL);
  const std::string reason = failed ? errno_text() : std::string();
  ::close(fd);
  if (failed)
    throw FileError({path, 0}, std::string("cannot sync the ") + (folder ? "folder" : "file") + ": " + reason);
}

std::string parent_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// Makes every file and folder under `folder`, and `folder` itself, durable before it is renamed
// into place: otherwise a crash could keep the rename and lose the files' contents.
void sync_tree(const std::string& folder) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_symlink(ec)) continue;
    if (it->is_regular_file(ec)) sync_path(it->path().string(), false);
    else if (it->is_directory(ec)) sync_path(it->path().string(), true);
  }
  if (ec) throw FileError({folder, 0}, "cannot list the folder: " + ec.message());
  sync_path(folder, true);
}

}  // namespace

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string tmp = path + ".tmp";
  try {
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw FileError({tmp, 0}, "cannot write file: " + errno_text());
      write(out);
      out.flush();
      if (!out) throw FileError({tmp, 0}, "write failed (disk full?)");
      out.close();
      if (!out) throw FileError({tmp, 0}, "write failed (disk full?)");
    }
    sync_path(tmp, false);
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) throw FileError({path, 0}, "cannot replace file: " + ec.message());
  } catch (...) {
    // Never leave a half-written file behind; the previous `path`, if any, is untouched.
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
  sync_path(parent_of(path), true);
}

void write_file_atomically(const std::string& path, std::string_view content) {
  write_file_atomically(path, [&](std::ostream& out) {
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  });
}

void publish_folder(const std::string& staging, const std::string& target) {
  std::error_code ec;
  if (fs::exists(fs::symlink_status(target, ec))) throw FileError({target, 0}, "already exists");
  sync_tree(staging);
  fs::rename(staging, target, ec);
  if (ec) throw FileError({target, 0}, "cannot move the finished folder into place: " + ec.message());
  sync_path(parent_of(target), true);
}

void publish_files(const std::string& staging, const std::string& target, const std::string& last) {
  sync_tree(staging);
  std::error_code ec;
  fs::create_directories(target, ec);
  if (ec) throw FileError({target, 0}, "cannot create folder: " + ec.message());
  std::vector<fs::path> files;
  for (fs::directory_iterator it(staging, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) throw FileError({it->path().string(), 0}, "not a file (only files are published)");
    if (it->path().filename() != last) files.push_back(it->path());
  }
  if (ec) throw FileError({staging, 0}, "cannot list the folder: " + ec.message());
  const fs::path last_file = fs::path(staging) / last;
  if (!fs::is_regular_file(last_file, ec)) throw FileError({last_file.string(), 0}, "missing");
  const auto move = [&](const fs::path& from) {
    const fs::path to = fs::path(target) / from.filename();
    fs::rename(from, to, ec);
    if (ec) throw FileError({to.string(), 0}, "cannot move the finished file into place: " + ec.message());
  };
  for (const fs::path& file : files) move(file);
  // The others are durable in `target` before `last` says they are all there.
  sync_path(target, true);
  move(last_file);
  sync_path(target, true);
  fs::remove_all(staging, ec);
}

void replace_folder(const std::string& staging, const std::string& target) {
  const std::string old = target + ".old";
  sync_tree(staging);
  std::error_code ec;
  if (fs::exists(target, ec)) {
    // A target.old beside a complete target is a finished replacement's leftover.
    fs::remove_all(old, ec);
    if (ec) throw FileError({old, 0}, "cannot remove the previous version: " + ec.message());
    fs::rename(target, old, ec);
    if (ec) throw FileError({target, 0}, "cannot move the current version aside: " + ec.message());
  }
  // (No target but a target.old: a crash came between the two renames; staging replaces it.)
  fs::rename(staging, target, ec);
  if (ec) {
    const std::string reason = ec.message();
    std::error_code ignored;
    if (!fs::exists(target, ignored) && fs::exists(old, ignored)) fs::rename(old, target, ignored);
    throw FileError({target, 0}, "cannot move the finished folder into place: " + reason);
  }
  sync_path(parent_of(target), true);
  // Done: a target.old that cannot be removed now is harmless (target wins) and goes next time.
  fs::remove_all(old, ec);
}

std::optional<std::string> find_replaced_folder(const std::string& target, const std::string& marker) {
  std::error_code ec;
  if (fs::is_directory(target, ec)) return target;
  const std::string old = target + ".old";
  if (fs::is_directory(old, ec) && fs::exists(fs::path(old) / marker, ec)) return old;
  return std::nullopt;
}

std::string checked_output_path(const std::string& path, bool force) {
  std::error_code ec;
  std::filesystem::path target(path);
  const auto link = std::filesystem::symlink_status(target, ec);
  if (ec || link.type() == std::filesystem::file_type::not_found) return path;
  if (link.type() == std::filesystem::file_type::symlink) {
    // Written through: the file the link names is the output (a dangling link gets its target).
    std::filesystem::path named = std::filesystem::read_symlink(target, ec);
    if (!ec && named.is_relative()) named = target.parent_path() / named;
    if (!ec) target = std::filesystem::weakly_canonical(named, ec);
    if (ec) throw Error(path + ": a symbolic link that cannot be resolved: " + ec.message());
  }
  const auto status = std::filesystem::status(target, ec);
  if (ec || status.type() == std::filesystem::file_type::not_found) return target.string();
  if (status.type() != std::filesystem::file_type::regular)
    throw Error(path + ": not a regular file (" +
                (status.type() == std::filesystem::file_type::directory ? std::string("a folder")
                 : status.type() == std::filesystem::file_type::fifo    ? std::string("a FIFO")
                                                                        : std::string("a device or socket")) +
                "); give the path of a file to write");
  if (!force) throw Error(path + ": exists; add --force to replace it");
  return target.string();
}

}  // namespace tpt::io
