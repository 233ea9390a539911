// Shared by the code domain's tests: a sandbox that must be usable (or the test is skipped,
// and under CI fails), and a look for processes a run left behind.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <unistd.h>

#include "check.h"
#include "code/sandbox.h"

namespace code_test {

// The sandbox the tests use: bubblewrap, two workers (the test machines have two cores).
inline tpt::code::SandboxConfig sandbox() {
  tpt::code::SandboxConfig config;
  config.workers = 2;
  if (::access(config.bwrap.c_str(), X_OK) != 0) {
    const char* ci = std::getenv("CI");
    if (ci && std::string(ci) == "true") TPT_FAIL("bubblewrap (" + config.bwrap + ") is missing: CI must test the sandbox");
    SKIP("bubblewrap (" + config.bwrap + ") is not installed");
  }
  return config;
}

// Processes whose name (comm) is `marker`: programs set it with prctl(PR_SET_NAME) and their
// children inherit it. Waits up to two seconds for them to go (a killed process is reaped a
// moment later).
inline int processes_named(const std::string& marker) {
  int count = 0;
  for (int attempt = 0; attempt < 40; ++attempt) {
    count = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
      std::ifstream comm(entry.path() / "comm");
      std::string name;
      if (comm && std::getline(comm, name) && name == marker) ++count;
    }
    if (count == 0) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return count;
}

// Python that renames its process to `marker`.
inline std::string rename_to(const std::string& marker) {
  return "import ctypes\nctypes.CDLL(None).prctl(15, b\"" + marker + "\", 0, 0, 0)\n";
}

inline std::string unique(const std::string& stem) { return stem + std::to_string(::getpid() % 100000); }

}  // namespace code_test
