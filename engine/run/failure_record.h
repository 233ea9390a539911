// Why a run stopped, kept where `tpt status` and the workbench find it once the process is
// gone. The database records a failure too, but not when the failure is the database's disk
// being full, nor when the process dies of a signal. So a run also reserves a small file,
// .run.failure in the experiment folder, when it starts: a failure is written into space that
// is already allocated (a full disk cannot refuse it), and a crash (SIGSEGV, SIGBUS, SIGFPE,
// SIGILL, SIGABRT, an uncaught exception) is written by a signal handler before the process
// dies. A SIGKILL leaves it empty: that run reads as "interrupted". Torch-free.
#pragma once

#include <optional>
#include <string>

namespace tpt::run {

class FailureRecord {
 public:
  // Creates (or empties) `path` with its space reserved, and installs the crash handlers, which
  // chain to the handlers they replace. One record is active per process.
  explicit FailureRecord(std::string path);
  ~FailureRecord();
  FailureRecord(const FailureRecord&) = delete;
  FailureRecord& operator=(const FailureRecord&) = delete;

  // Writes `cause` (cut to the reserved size). Never throws.
  void record(const std::string& cause) noexcept;

 private:
  std::string path_;
  int fd_ = -1;
};

// Where the active record says the run is ("round 1, prune"), for a crash's message.
void set_failure_context(const std::string& where) noexcept;

// The cause recorded at `path`, or nullopt when there is none (the file is missing or empty).
std::optional<std::string> read_failure_record(const std::string& path);

}  // namespace tpt::run
