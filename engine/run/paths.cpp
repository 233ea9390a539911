#include "run/paths.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace fs = std::filesystem;

namespace tpt::run {

ExperimentPaths ExperimentPaths::locate(const std::string& dir_or_file) {
  ExperimentPaths p;
  fs::path given(dir_or_file.empty() ? "." : dir_or_file);
  std::error_code ec;
  // A folder when it is one, or when it does not exist yet and is not named like a file.
  const bool folder = fs::is_directory(given, ec) || (!fs::exists(given, ec) && given.extension() != ".json");
  if (folder) {
    p.dir = fs::absolute(given).lexically_normal().string();
    p.config_file = (fs::path(p.dir) / "experiment.json").string();
  } else {
    p.config_file = fs::absolute(given).lexically_normal().string();
    p.dir = fs::path(p.config_file).parent_path().string();
  }
  while (p.dir.size() > 1 && p.dir.back() == '/') p.dir.pop_back();
  const fs::path dir(p.dir);
  p.store_file = (dir / "experiment.sqlite").string();
  p.models_dir = (dir / "models").string();
  p.exports_dir = (dir / "exports").string();
  p.logs_dir = (dir / "logs").string();
  p.lock_file = (dir / ".run.lock").string();
  p.failure_file = (dir / ".run.failure").string();
  return p;
}

std::string ExperimentPaths::model_dir(int round) const {
  return (fs::path(models_dir) / ("round-" + std::to_string(round))).string();
}

std::string ExperimentPaths::partial_dir(int round) const {
  return (fs::path(models_dir) / ("round-" + std::to_string(round) + ".partial")).string();
}

std::string ExperimentPaths::server_log(int round, const std::string& phase) const {
  return (fs::path(logs_dir) / ("server-round-" + std::to_string(round) + "-" + phase + ".log")).string();
}

std::string ExperimentPaths::trainer_log(int round) const {
  return (fs::path(logs_dir) / ("train-round-" + std::to_string(round) + ".log")).string();
}

bool run_in_progress(const ExperimentPaths& paths) {
  const int fd = ::open(paths.lock_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

RunLock::RunLock(const ExperimentPaths& paths) {
  fd_ = ::open(paths.lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw Error(paths.lock_file + ": cannot create the run lock: " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw Error(paths.dir + ": this experiment is already running in another process (tpt run or the workbench)");
    throw Error(paths.lock_file + ": cannot take the run lock: " + std::strerror(err));
  }
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace tpt::run
