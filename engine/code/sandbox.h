// Running an untrusted Python 3 program on one test input, and what became of it.
//
// Programs come from a model and are run thousands of times per round, so they are treated as
// hostile: each run is a fresh bubblewrap sandbox (no network, no view of the machine's files
// beyond the read-only system folders Python needs, its own pid namespace) started by a child
// that first drops to an unprivileged uid and sets resource limits, and a wall-clock limit that
// kills everything the run started. docs/code-sandbox.md explains each option and limit.
//
// The "unsandboxed" mode (an explicit opt-in, for machines without bubblewrap or user
// namespaces) keeps the uid drop, rlimits and timeouts but lets the program see the machine.
//
// Torch-free.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "code/code_problem.h"
#include "core/error.h"

namespace tpt::code {

enum class SandboxMode { Bubblewrap, Unsandboxed };
const char* to_string(SandboxMode mode);  // "bubblewrap", "unsandboxed"

struct SandboxConfig {
  SandboxMode mode = SandboxMode::Bubblewrap;
  std::string python = "/usr/bin/python3";  // absolute: the sandbox has no PATH search of ours
  std::string bwrap = "/usr/bin/bwrap";
  int workers = 0;                          // tests run at once; 0 = the machine's hardware threads
  double default_time_limit_s = 10.0;       // per test, when the problem gives none
  // Added to every test's limit (the problem's or the default): CodeContests' limits are set for
  // C++, and each run also pays bubblewrap's and Python's start (~50 ms). A setup like the
  // paper's assumed one ("problem's limit + 10 s") sets 10.
  double extra_time_s = 1.0;
  std::int64_t memory_limit_bytes = std::int64_t{1} << 30;  // address space, when the problem gives none
  std::int64_t max_file_bytes = std::int64_t{16} << 20;     // RLIMIT_FSIZE, and the size of the private /tmp
  std::int64_t max_output_bytes = std::int64_t{8} << 20;    // stdout beyond this: OutputLimit
  int max_processes = 64;                                   // RLIMIT_NPROC (of the sandbox's own uid)
  int max_open_files = 64;                                  // RLIMIT_NOFILE

  // The address space no run gets less of, whatever the problem says: Python needs ~30 MB of
  // mappings just to start, and a limit it cannot start in would read as a runtime error.
  static constexpr std::int64_t kMemoryFloorBytes = std::int64_t{128} << 20;

  int worker_count() const;  // workers, or the hardware threads when 0
  // The limits one test runs under.
  double time_limit_for(const CodeSpec& spec) const;
  std::int64_t memory_limit_for(const CodeSpec& spec) const;

  // JSON: {"mode": "bubblewrap"|"unsandboxed", "python": "/usr/bin/python3", "workers": 0, ...}
  // with the field names above; absent keys keep the defaults. Problems are recorded in
  // `issues` with their JSON path under `path` ("sandbox.workers").
  static SandboxConfig parse(const nlohmann::json& j, const std::string& path, std::vector<FieldIssue>& issues);
  // Throws ValidationError naming every problem.
  static SandboxConfig from_json(const nlohmann::json& j, const std::string& source = "sandbox");
  nlohmann::json to_json() const;
};

// What one run did. `verdict` classifies it; Accepted here only means "exited 0": the caller
// compares `stdout_text` with the expected output.
struct RunResult {
  CodeVerdict verdict = CodeVerdict::Accepted;
  std::string stdout_text;  // everything read (at most max_output_bytes + a read's worth)
  std::string stderr_tail;  // the last few KB of stderr
  std::string message;      // why, for people: "killed after 2.0 s (time limit)", the error's last line
  int exit_code = 0;        // -N: killed by signal N
  double seconds = 0.0;     // wall clock, start to reap
};

struct RunLimits {
  double time_limit_s = 10.0;
  std::int64_t memory_limit_bytes = std::int64_t{1} << 30;
};

// Runs `program` with `input` as its stdin (a sealed in-memory file, seekable like a judge's
// input file, so a program that closes or never reads it cannot block or SIGPIPE us). Blocks
// until the run has ended and every process it started is gone. `cancelled`, when given, is
// polled (~20 times a second): true kills the run, which then reads as a RuntimeError with
// message "cancelled". Throws tpt::Error when the sandbox itself cannot be started (bwrap or
// python missing), never for what the program does. Thread-safe: runs may go in parallel.
RunResult run_program(const SandboxConfig& config, const std::string& program, const std::string& input,
                      const RunLimits& limits, const std::function<bool()>& cancelled = {});

// Runs `print(1)` once and checks it printed 1. Throws tpt::Error naming the fix when the
// sandbox cannot run (bubblewrap missing, user namespaces disabled, python missing): install
// bubblewrap, enable unprivileged user namespaces, or opt in to "sandbox": {"mode":
// "unsandboxed"}.
void check_sandbox(const SandboxConfig& config);

}  // namespace tpt::code
