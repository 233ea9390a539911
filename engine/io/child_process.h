// A child process the engine starts and owns: a model server for a phase (tpt serve, vLLM,
// SGLang), later an external trainer. It runs a shell command in a process group of its own,
// so that stopping it stops everything it started (vLLM forks workers per GPU), with its
// output appended to a log file. The destructor stops it. Torch-free.
#pragma once

#include <string>
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

 private:
  std::string command_;
  std::string log_file_;
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
};

// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it).
int free_local_port();

// The last `max_lines` lines of a text file (for error messages); empty when unreadable.
std::string tail_lines(const std::string& path, int max_lines);

}  // namespace tpt::io
