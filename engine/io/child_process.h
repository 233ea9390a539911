// A child process the engine starts and owns: a model server for a phase (tpt serve, vLLM,
// SGLang), later an external trainer. It runs a shell command in a process group of its own,
// so that stopping it stops everything it started (vLLM forks workers per GPU), with its
// output appended to a log file. The destructor stops it. Torch-free.
#pragma once

#include <string>
#include <utility>
#include <vector>
#include <sys/types.h>

namespace tpt::io {

class ChildProcess {
 public:
  // Starts `command` with /bin/sh -c ("exec COMMAND" when it is a simple command), stdin from /dev/null, stdout and stderr
  // appended to `log_file`. Throws Error when it cannot be started. The process gets SIGTERM
  // when the thread that started it ends (PR_SET_PDEATHSIG), so start it from a thread that
  // lives as long as it should.
  // `environment`: "NAME=value" entries added to (or replacing in) this process's environment.
  ChildProcess(const std::string& command, const std::string& log_file, const std::vector<std::string>& environment = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& command() const { return command_; }
  const std::string& log_file() const { return log_file_; }

  // Whether it is still running (reaps it once it exited).
  bool running();
  // How it ended: "exited with status N" or "killed by signal N (SIGNAME)"; empty while running.
  std::string exit_description();

  // SIGTERM to the whole group; SIGKILL to the group when it has not exited after `grace_s`.
  void stop(double grace_s = 15.0);
  // Sends `signal` to the whole group (SIGSTOP / SIGCONT hold and release a trainer).
  void signal_group(int signal);

 private:
  std::string command_;
  std::string log_file_;
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
};

// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it).
int free_local_port();

// The last `max_lines` lines of a text file (for error messages); empty when unreadable. A
// carriage return ends a line too: progress bars redraw themselves with it.
std::string tail_lines(const std::string& path, int max_lines);

// Reads the lines a child appends to its log file, as they come: each call returns the complete
// lines written since the last one (a line ends at '\n' or '\r', so progress-bar redraws
// arrive one by one; empty lines are dropped). Starts at the file's current end, so lines of an
// earlier run in the same file are not read again.
class LogFollower {
 public:
  explicit LogFollower(std::string path);
  std::vector<std::string> new_lines();
  // Bytes appended since construction (complete lines or not): a sign of life.
  long long bytes_seen() const { return offset_ - start_; }

 private:
  std::string path_;
  long long start_ = 0;
  long long offset_ = 0;  // everything before has been returned
};

// `value` as one word for /bin/sh.
std::string shell_quote(const std::string& value);
// Replaces each {key} of `text` with its value (values are not scanned again).
std::string fill_placeholders(const std::string& text, const std::vector<std::pair<std::string, std::string>>& values);
// The `tpt` program beside the running one (tpt itself, the workbench, a test binary), else
// "tpt" from PATH: what {tpt} in a command template means.
std::string tpt_program();

}  // namespace tpt::io
