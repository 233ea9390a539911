// Runs the built `tpt` binary as a user would: a real process, its exit status, its output.
// The including test target defines TPT_CLI_PATH (the binary's path).
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "check.h"

namespace tpt::testing {

struct CliResult {
  int status = -1;  // exit status; 128 + N for a process killed by signal N
  std::string out;
  std::string err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// `tpt <args>` with `prefix` in front (environment assignments, `ulimit ...;`, `timeout 60`),
// through bash, so that a process killed by a signal reports 128 + signal as a shell user sees
// it. Standard input comes from `input` (a path). `args`, `prefix` and `input` must not contain
// double quotes.
inline CliResult tpt_run(const std::string& args, const std::string& prefix = "", const std::string& input = "/dev/null") {
  const std::string dir = temp_dir();
  const std::string command =
      prefix + " '" TPT_CLI_PATH "' " + args + " <'" + input + "' >" + dir + "/out 2>" + dir + "/err";
  CliResult r;
  const int raw = std::system(("/bin/bash -c \"" + command + "\"").c_str());
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = slurp(dir + "/out");
  r.err = slurp(dir + "/err");
  return r;
}

}  // namespace tpt::testing
