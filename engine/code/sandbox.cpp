#include "code/sandbox.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/json_fields.h"

namespace tpt::code {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Configuration

const char* to_string(SandboxMode mode) { return mode == SandboxMode::Bubblewrap ? "bubblewrap" : "unsandboxed"; }

int SandboxConfig::worker_count() const {
  if (workers > 0) return workers;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

double SandboxConfig::time_limit_for(const CodeSpec& spec) const {
  return (spec.time_limit_s > 0 ? spec.time_limit_s : default_time_limit_s) + extra_time_s;
}

std::int64_t SandboxConfig::memory_limit_for(const CodeSpec& spec) const {
  const std::int64_t wanted = spec.memory_limit_bytes > 0 ? spec.memory_limit_bytes : memory_limit_bytes;
  return std::max(wanted, kMemoryFloorBytes);
}

SandboxConfig SandboxConfig::parse(const json& j, const std::string& path, std::vector<FieldIssue>& issues) {
  SandboxConfig config;
  io::JsonObjectReader reader(j, path, issues);
  std::string mode = to_string(config.mode);
  reader.choice("mode", mode, {"bubblewrap", "unsandboxed"});
  config.mode = mode == "unsandboxed" ? SandboxMode::Unsandboxed : SandboxMode::Bubblewrap;
  reader.string("python", config.python, false);
  reader.string("bwrap", config.bwrap, false);
  if (!config.python.empty() && config.python.front() != '/') reader.fail("python", "expected an absolute path, got \"" + config.python + "\"");
  if (!config.bwrap.empty() && config.bwrap.front() != '/') reader.fail("bwrap", "expected an absolute path, got \"" + config.bwrap + "\"");
  reader.integer("workers", config.workers, {0, 1024});
  reader.number("default_time_limit_s", config.default_time_limit_s, {0.0, 3600.0, true});
  reader.number("extra_time_s", config.extra_time_s, {0.0, 3600.0});
  reader.integer("memory_limit_bytes", config.memory_limit_bytes, {kMemoryFloorBytes, std::int64_t{1} << 40});
  reader.integer("max_file_bytes", config.max_file_bytes, {0, std::int64_t{1} << 40});
  reader.integer("max_output_bytes", config.max_output_bytes, {1, std::int64_t{1} << 32});
  reader.integer("max_processes", config.max_processes, {1, 100000});
  reader.integer("max_open_files", config.max_open_files, {8, 1 << 20});
  reader.finish();
  return config;
}

SandboxConfig SandboxConfig::from_json(const json& j, const std::string& source) {
  std::vector<FieldIssue> issues;
  SandboxConfig config = parse(j, "", issues);
  io::throw_if_issues(source, std::move(issues));
  return config;
}

json SandboxConfig::to_json() const {
  return json{{"mode", to_string(mode)},
              {"python", python},
              {"bwrap", bwrap},
              {"workers", workers},
              {"default_time_limit_s", default_time_limit_s},
              {"extra_time_s", extra_time_s},
              {"memory_limit_bytes", memory_limit_bytes},
              {"max_file_bytes", max_file_bytes},
              {"max_output_bytes", max_output_bytes},
              {"max_processes", max_processes},
              {"max_open_files", max_open_files}};
}

namespace {

// ---------------------------------------------------------------------------------------------
// Uids. RLIMIT_NPROC counts every process of a real uid, machine-wide. Runs that share a uid
// share the limit: a fork bomb in one would make another run's fork (or bubblewrap's own) fail,
// and that run's verdict would depend on timing. So each run, when we are root, gets a uid of
// its own from a range no account uses, and the next run takes the next uid rather than the one
// just freed: a finished run can leave bubblewrap's namespace init as a zombie for the system's
// init to reap on its own schedule, and a burst of short runs under one uid piled up enough of
// them to make bubblewrap's fork fail (EAGAIN) on a machine whose init reaps slowly.

constexpr uid_t kUidPoolBase = 1'900'000'000;
constexpr size_t kUidPoolSize = 4096;

class UidLease {
 public:
  UidLease() {
    std::lock_guard<std::mutex> lock(mutex());
    auto& used = slots();
    if (used.empty()) used.assign(kUidPoolSize, false);
    size_t& next = next_slot();
    for (size_t tried = 0; tried < kUidPoolSize && used[next]; ++tried) next = (next + 1) % kUidPoolSize;
    slot_ = next;
    used[slot_] = true;
    next = (next + 1) % kUidPoolSize;
  }
  ~UidLease() {
    std::lock_guard<std::mutex> lock(mutex());
    slots()[slot_] = false;
  }
  UidLease(const UidLease&) = delete;
  UidLease& operator=(const UidLease&) = delete;
  uid_t uid() const { return kUidPoolBase + 1 + static_cast<uid_t>(slot_); }

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::vector<bool>& slots() {
    static std::vector<bool> s;
    return s;
  }
  static size_t& next_slot() {
    static size_t n = 0;
    return n;
  }
  size_t slot_ = 0;
};

// ---------------------------------------------------------------------------------------------
// File descriptors

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.release();
    }
    return *this;
  }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

std::string errno_text(int err) { return std::strerror(err); }

// A sealed in-memory file holding `data`, at offset 0, close-on-exec (the child dup2s it).
Fd memory_file(const char* name, const std::string& data) {
  Fd fd(static_cast<int>(::syscall(SYS_memfd_create, name, MFD_CLOEXEC | MFD_ALLOW_SEALING)));
  if (fd.get() < 0) throw Error(std::string("sandbox: memfd_create failed: ") + errno_text(errno));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(std::string("sandbox: writing the program's input failed: ") + errno_text(errno));
    }
    done += static_cast<size_t>(n);
  }
  // Sealed, so that what one run does to its stdin cannot change what it was given.
  ::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  ::lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

struct Pipe {
  Fd read, write;
};
Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(std::string("sandbox: pipe failed: ") + errno_text(errno));
  return {Fd(fds[0]), Fd(fds[1])};
}

// ---------------------------------------------------------------------------------------------
// The command

// Turns a list of strings into the char* array execve wants; built before fork, because the
// child of a threaded process may only make async-signal-safe calls.
struct Argv {
  std::vector<std::string> items;
  std::vector<char*> pointers;
  char* const* get() {
    pointers.clear();
    for (auto& s : items) pointers.push_back(s.data());
    pointers.push_back(nullptr);
    return pointers.data();
  }
};

constexpr int kProgramFd = 3;  // where bwrap reads the program from (--ro-bind-data)
constexpr int kErrorFd = 4;    // where the child reports a failed exec
constexpr const char* kSandboxProgram = "/sandbox/main.py";
constexpr const char* kSandboxHome = "/tmp";

// The top-level folders Python's libraries may live under: Debian's merged /usr makes /bin,
// /lib, /lib64 symlinks into /usr (recreated as such), older layouts have real folders (bound).
void add_system_folders(std::vector<std::string>& args) {
  args.insert(args.end(), {"--ro-bind", "/usr", "/usr"});
  for (const char* top : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    std::error_code ec;
    auto status = std::filesystem::symlink_status(top, ec);
    if (ec || !std::filesystem::exists(status)) continue;
    if (std::filesystem::is_symlink(status)) {
      auto target = std::filesystem::read_symlink(top, ec);
      if (!ec) args.insert(args.end(), {"--symlink", target.string(), top});
    } else if (std::filesystem::is_directory(status)) {
      args.insert(args.end(), {"--ro-bind", top, top});
    }
  }
}

std::vector<std::string> bwrap_command(const SandboxConfig& config) {
  std::vector<std::string> args{config.bwrap,
                                // New user, pid, network, ipc, uts and cgroup namespaces: no
                                // network at all (only a loopback that is down), no other
                                // process visible or signalable.
                                "--unshare-all", "--unshare-user",
                                // No nested user namespace: that is where most kernel exploits
                                // start.
                                "--disable-userns",
                                // The sandbox dies with us, and gets no controlling terminal
                                // (TIOCSTI could push keystrokes into ours).
                                "--die-with-parent", "--new-session"};
  add_system_folders(args);
  args.insert(args.end(), {"--proc", "/proc", "--dev", "/dev",
                           // A private, size-capped /tmp: the only writable place.
                           "--size", std::to_string(std::max<std::int64_t>(config.max_file_bytes, 1 << 20)),
                           "--tmpfs", kSandboxHome,
                           // /dev is a tmpfs too (with /dev/shm in it): not writable either.
                           "--remount-ro", "/dev",
                           "--perms", "0444", "--ro-bind-data", std::to_string(kProgramFd), kSandboxProgram,
                           // The root bwrap builds is a writable tmpfs without a size limit.
                           "--remount-ro", "/",
                           "--chdir", kSandboxHome, "--", config.python,
                           // -I: no PYTHON* variables, user site or script folder on sys.path;
                           // -B: no .pyc writes.
                           "-I", "-B", kSandboxProgram});
  return args;
}

std::vector<std::string> minimal_environment(const std::string& home) {
  return {"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "HOME=" + home};
}

// A private folder for an unsandboxed run: the program's file and its working directory.
struct ScratchDir {
  std::filesystem::path path;
  ~ScratchDir() {
    if (path.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// ---------------------------------------------------------------------------------------------
// The child, between fork and exec: async-signal-safe calls only.

struct ChildPlan {
  bool drop_privileges = false;
  uid_t uid = kUidPoolBase;  // set from the run's lease
  rlim_t cpu_seconds = 1;
  rlim_t address_space = 0;
  rlim_t stack = 0;
  rlim_t processes = 0;
  rlim_t file_size = 0;
  rlim_t open_files = 0;
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1, program_fd = -1, error_fd = -1;
  const char* chdir_to = nullptr;
  const char* executable = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
};

enum ChildStage : int { kStageFds = 1, kStageUid, kStageLimits, kStageChdir, kStageExec };

[[noreturn]] void child_fail(int error_fd, int stage) {
  int report[2] = {stage, errno};
  ssize_t ignored = ::write(error_fd, report, sizeof report);
  (void)ignored;
  ::_exit(127);
}

void set_limit(int resource, rlim_t value, int error_fd) {
  struct rlimit limit{value, value};
  if (::setrlimit(resource, &limit) != 0) child_fail(error_fd, kStageLimits);
}

[[noreturn]] void run_child(const ChildPlan& plan, pid_t parent) {
  // Move every fd we keep above the low numbers first, so that the dup2s below cannot
  // overwrite one another.
  int in = ::fcntl(plan.stdin_fd, F_DUPFD, 10), out = ::fcntl(plan.stdout_fd, F_DUPFD, 10),
      err = ::fcntl(plan.stderr_fd, F_DUPFD, 10), report = ::fcntl(plan.error_fd, F_DUPFD, 10);
  int program = plan.program_fd >= 0 ? ::fcntl(plan.program_fd, F_DUPFD, 10) : -1;
  if (in < 0 || out < 0 || err < 0 || report < 0 || (plan.program_fd >= 0 && program < 0)) ::_exit(127);
  if (::dup2(report, kErrorFd) < 0) ::_exit(127);
  ::fcntl(kErrorFd, F_SETFD, FD_CLOEXEC);
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) child_fail(kErrorFd, kStageFds);
  if (program >= 0 && ::dup2(program, kProgramFd) < 0) child_fail(kErrorFd, kStageFds);
  // Nothing else of ours (the store, sockets, other runs' pipes) reaches the program.
  if (program < 0) ::close(kProgramFd);
  if (::syscall(SYS_close_range, kErrorFd + 1, ~0U, 0) != 0) {
    for (int fd = kErrorFd + 1; fd < 4096; ++fd) ::close(fd);
  }
  const int report_fd = kErrorFd;

  // A session and process group of its own: killing the group kills all it started (in the
  // unsandboxed mode; with bubblewrap the pid namespace does it).
  ::setsid();
  // Signals we ignore or block are inherited across exec; the program gets the defaults.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);

  // RLIMIT_NPROC is not enforced for real uid 0, and bubblewrap started by root keeps real uid
  // 0 even with --uid: drop to an unprivileged uid before it (REFERENCE.md, section 8).
  if (plan.drop_privileges) {
    if (::setgroups(0, nullptr) != 0) child_fail(report_fd, kStageUid);
    if (::setresgid(plan.uid, plan.uid, plan.uid) != 0) child_fail(report_fd, kStageUid);
    if (::setresuid(plan.uid, plan.uid, plan.uid) != 0) child_fail(report_fd, kStageUid);
  }
  // After the uid change (which clears it): SIGKILL when the thread that started us ends.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);

  // The CPU limit's soft part sends SIGXCPU, the hard part SIGKILL a second later.
  struct rlimit cpu{plan.cpu_seconds, plan.cpu_seconds + 1};
  if (::setrlimit(RLIMIT_CPU, &cpu) != 0) child_fail(report_fd, kStageLimits);
  set_limit(RLIMIT_AS, plan.address_space, report_fd);
  set_limit(RLIMIT_STACK, plan.stack, report_fd);
  set_limit(RLIMIT_NPROC, plan.processes, report_fd);
  set_limit(RLIMIT_FSIZE, plan.file_size, report_fd);
  set_limit(RLIMIT_NOFILE, plan.open_files, report_fd);
  set_limit(RLIMIT_CORE, 0, report_fd);

  if (plan.chdir_to && ::chdir(plan.chdir_to) != 0) child_fail(report_fd, kStageChdir);
  ::execve(plan.executable, plan.argv, plan.envp);
  child_fail(report_fd, kStageExec);
}

// The processes whose parent is `parent` (from /proc/PID/stat).
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so read after the last ')'.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    long ppid = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %ld", &state, &ppid) == 2 && ppid == parent)
      children.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return children;
}

// ---------------------------------------------------------------------------------------------
// Classification

std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  size_t start = text.find_last_of('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return text.substr(start, end - start + 1);
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// A compile error of the program itself prints no "Traceback" (nothing ran), just the place
// and "SyntaxError: ..." (or IndentationError, TabError). A SyntaxError raised by exec() or
// compile() at run time comes with a traceback and is a runtime error.
bool is_compile_error(const std::string& stderr_text) {
  if (stderr_text.find("Traceback (most recent call last)") != std::string::npos) return false;
  const std::string line = last_line(stderr_text);
  return starts_with(line, "SyntaxError") || starts_with(line, "IndentationError") || starts_with(line, "TabError");
}

bool is_memory_error(const std::string& stderr_text) {
  return stderr_text.find("MemoryError") != std::string::npos ||
         stderr_text.find("Cannot allocate memory") != std::string::npos ||
         stderr_text.find("out of memory") != std::string::npos;
}

std::string signal_text(int sig) {
  const char* name = sigabbrev_np(sig);
  return "killed by signal " + std::to_string(sig) + (name ? std::string(" (SIG") + name + ")" : "");
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

std::string bytes_text(std::int64_t bytes) {
  if (bytes >= (1 << 20) && bytes % (1 << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

constexpr size_t kStderrKeep = 8 * 1024;

void append_tail(std::string& tail, const char* data, size_t n) {
  tail.append(data, n);
  if (tail.size() > 8 * kStderrKeep) tail.erase(0, tail.size() - kStderrKeep);
}

[[noreturn]] void throw_cannot_start(const SandboxConfig& config, const std::string& what) {
  std::string fix = config.mode == SandboxMode::Bubblewrap
                        ? " Install bubblewrap (Debian/Ubuntu: apt install bubblewrap) and allow unprivileged user "
                          "namespaces (sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces > 0), "
                          "or opt in to running programs without isolation with \"sandbox\": {\"mode\": "
                          "\"unsandboxed\"} in experiment.json (rlimits and timeouts only: a program can then read "
                          "and write what the user running tpt can)."
                        : " Check sandbox.python.";
  throw Error("sandbox (" + std::string(to_string(config.mode)) + "): " + what + "." + fix);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

RunResult run_program(const SandboxConfig& config, const std::string& program, const std::string& input,
                      const RunLimits& limits, const std::function<bool()>& cancelled) {
  const bool sandboxed = config.mode == SandboxMode::Bubblewrap;
  const std::string& executable = sandboxed ? config.bwrap : config.python;
  if (::access(executable.c_str(), X_OK) != 0)
    throw_cannot_start(config, "cannot run " + executable + ": " + errno_text(errno));

  const bool root = ::geteuid() == 0;
  UidLease lease;
  Fd stdin_file = memory_file("tpt-stdin", input);
  Fd program_file;
  ScratchDir scratch;
  Argv argv, envp;
  if (sandboxed) {
    program_file = memory_file("tpt-program", program);
    argv.items = bwrap_command(config);
    envp.items = minimal_environment(kSandboxHome);
  } else {
    // Unsandboxed: the program's file and working directory in a private folder, owned by the
    // uid the program runs as.
    char templ[] = "/tmp/tpt-run-XXXXXX";
    if (!::mkdtemp(templ)) throw Error(std::string("sandbox: cannot create a folder in /tmp: ") + errno_text(errno));
    scratch.path = templ;
    {
      std::ofstream out(scratch.path / "main.py", std::ios::binary);
      out << program;
      if (!out) throw Error("sandbox: cannot write " + (scratch.path / "main.py").string());
    }
    if (root) {
      if (::chown(templ, lease.uid(), lease.uid()) != 0 ||
          ::chown((scratch.path / "main.py").c_str(), lease.uid(), lease.uid()) != 0)
        throw Error("sandbox: cannot hand " + scratch.path.string() + " to uid " + std::to_string(lease.uid()));
    }
    argv.items = {config.python, "-I", "-B", "main.py"};
    envp.items = minimal_environment(scratch.path.string());
  }

  Pipe out = make_pipe(), err = make_pipe(), report = make_pipe();

  ChildPlan plan;
  plan.drop_privileges = root;
  plan.uid = lease.uid();
  plan.cpu_seconds = static_cast<rlim_t>(std::ceil(limits.time_limit_s));
  plan.address_space = static_cast<rlim_t>(limits.memory_limit_bytes);
  // Deep recursion (sys.setrecursionlimit) needs more than the usual 8 MiB of stack; judges
  // usually allow it. Capped so that thread stacks (sized from this limit) stay affordable.
  plan.stack = static_cast<rlim_t>(std::min<std::int64_t>(256 << 20, limits.memory_limit_bytes / 4));
  plan.processes = static_cast<rlim_t>(config.max_processes);
  plan.file_size = static_cast<rlim_t>(config.max_file_bytes);
  plan.open_files = static_cast<rlim_t>(config.max_open_files);
  plan.stdin_fd = stdin_file.get();
  plan.stdout_fd = out.write.get();
  plan.stderr_fd = err.write.get();
  plan.program_fd = program_file.get();
  plan.error_fd = report.write.get();
  const std::string chdir_to = scratch.path.string();
  plan.chdir_to = sandboxed ? nullptr : chdir_to.c_str();
  plan.executable = executable.c_str();
  plan.argv = argv.get();
  plan.envp = envp.get();

  const pid_t parent = ::getpid();
  const auto start = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) throw Error(std::string("sandbox: fork failed: ") + errno_text(errno));
  if (pid == 0) run_child(plan, parent);

  out.write.reset();
  err.write.reset();
  report.write.reset();
  stdin_file.reset();
  program_file.reset();

  // Did the exec happen? The report pipe closes on exec (nothing read) or carries the failure.
  int failure[2] = {0, 0};
  ssize_t got;
  do got = ::read(report.read.get(), failure, sizeof failure);
  while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof failure)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::string stage = failure[0] == kStageFds      ? "setting up its stdin and stdout for"
                        : failure[0] == kStageUid    ? "dropping to uid " + std::to_string(plan.uid) + " for"
                        : failure[0] == kStageLimits ? "setting the resource limits for"
                        : failure[0] == kStageChdir  ? "entering " + chdir_to + " for"
                                                     : "starting";
    throw_cannot_start(config, "the child failed " + stage + " " + executable + ": " + errno_text(failure[1]));
  }

  ::fcntl(out.read.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(err.read.get(), F_SETFL, O_NONBLOCK);
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(limits.time_limit_s));

  RunResult result;
  std::string stderr_text;
  bool out_open = true, err_open = true, exited = false, timed_out = false, over_output = false, was_cancelled = false;
  bool killed = false;
  int status = 0;
  Clock::time_point exited_at{};
  auto kill_all = [&] {
    if (killed) return;
    killed = true;
    if (sandboxed) {
      // Kill the sandbox's init (bwrap's child, pid 1 of the namespace): the kernel then kills
      // everything in the namespace, and bwrap reaps it and exits. Killing bwrap itself first
      // would leave its child to the system's init to reap (a zombie where there is none,
      // e.g. when tpt is pid 1 of a container).
      for (pid_t child : children_of(pid)) ::kill(child, SIGKILL);
      for (int i = 0; i < 50; ++i) {
        if (::waitpid(pid, &status, WNOHANG) == pid) {
          exited = true;
          return;
        }
        ::usleep(10'000);
      }
    }
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  };
  char buffer[65536];
  while (true) {
    if (!exited) {
      pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        exited = true;
        exited_at = Clock::now();
        // Whatever it left in its group goes with it (the unsandboxed mode has no pid namespace).
        ::kill(-pid, SIGKILL);
      }
    }
    if (exited && ((!out_open && !err_open) || killed)) break;
    // A process that outlived the program's exit (double fork out of the group) may hold the
    // pipes: stop reading shortly after the exit.
    if (exited && Clock::now() - exited_at > std::chrono::milliseconds(200)) break;
    const auto now = Clock::now();
    if (!killed && now >= deadline) {
      timed_out = true;
      kill_all();
    }
    if (!killed && cancelled && cancelled()) {
      was_cancelled = true;
      kill_all();
    }
    if (killed) {
      if (!exited) ::waitpid(pid, &status, 0);
      exited = true;
      break;
    }
    pollfd fds[2];
    int n = 0;
    if (out_open) fds[n++] = {out.read.get(), POLLIN, 0};
    if (err_open) fds[n++] = {err.read.get(), POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    int wait_ms = static_cast<int>(std::clamp<long long>(left, 1, exited ? 10 : 50));
    if (n == 0) {
      ::usleep(static_cast<useconds_t>(std::min(wait_ms, 5)) * 1000);
      continue;
    }
    int ready = ::poll(fds, static_cast<nfds_t>(n), wait_ms);
    if (ready < 0 && errno != EINTR) break;
    for (int i = 0; i < n && ready > 0; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const bool is_out = fds[i].fd == out.read.get();
      while (true) {
        ssize_t r = ::read(fds[i].fd, buffer, sizeof buffer);
        if (r > 0) {
          if (is_out) {
            result.stdout_text.append(buffer, static_cast<size_t>(r));
            if (static_cast<std::int64_t>(result.stdout_text.size()) > config.max_output_bytes) {
              over_output = true;
              kill_all();
              break;
            }
          } else {
            append_tail(stderr_text, buffer, static_cast<size_t>(r));
          }
          continue;
        }
        if (r == 0) (is_out ? out_open : err_open) = false;
        break;  // EAGAIN, EOF or error
      }
      if (over_output) break;
    }
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (stderr_text.size() > kStderrKeep) stderr_text.erase(0, stderr_text.size() - kStderrKeep);
  result.stderr_tail = stderr_text;

  // bubblewrap reports the program's death by signal N as exit status 128 + N.
  int sig = 0;
  if (WIFSIGNALED(status)) {
    sig = WTERMSIG(status);
    result.exit_code = -sig;
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
    if (sandboxed && result.exit_code > 128 && result.exit_code <= 128 + 64) {
      sig = result.exit_code - 128;
      result.exit_code = -sig;
    }
  }

  if (timed_out) {
    result.verdict = CodeVerdict::TimeLimit;
    result.message = "killed at the time limit (" + seconds_text(limits.time_limit_s) + " wall clock)";
  } else if (over_output) {
    result.verdict = CodeVerdict::OutputLimit;
    result.message = "wrote more than " + bytes_text(config.max_output_bytes) + " of output";
  } else if (was_cancelled) {
    result.verdict = CodeVerdict::RuntimeError;
    result.message = "cancelled";
  } else if (sig == SIGXCPU || (sig == SIGKILL && result.seconds >= std::floor(limits.time_limit_s))) {
    result.verdict = CodeVerdict::TimeLimit;
    result.message = "used up its CPU time (" + seconds_text(limits.time_limit_s) + ")";
  } else if (result.exit_code != 0 && is_memory_error(stderr_text)) {
    result.verdict = CodeVerdict::MemoryLimit;
    result.message = "ran out of memory at the " + bytes_text(limits.memory_limit_bytes) + " address-space limit";
  } else if (sig != 0) {
    result.verdict = CodeVerdict::RuntimeError;
    result.message = sig == SIGXFSZ ? "wrote a file past the " + bytes_text(config.max_file_bytes) + " limit"
                                    : signal_text(sig);
  } else if (result.exit_code == 0) {
    result.verdict = CodeVerdict::Accepted;
  } else if (is_compile_error(stderr_text)) {
    result.verdict = CodeVerdict::SyntaxError;
    result.message = last_line(stderr_text);
  } else {
    result.verdict = CodeVerdict::RuntimeError;
    std::string line = last_line(stderr_text);
    result.message = line.empty() ? "exit status " + std::to_string(result.exit_code) : line;
    if (sandboxed && starts_with(stderr_text, "bwrap:")) result.message = "sandbox failed: " + line;
  }
  return result;
}

void check_sandbox(const SandboxConfig& config) {
  RunLimits limits;
  limits.time_limit_s = 20.0;
  limits.memory_limit_bytes = std::max(config.memory_limit_bytes, SandboxConfig::kMemoryFloorBytes);
  RunResult r = run_program(config, "print(1)\n", "", limits);
  if (r.verdict == CodeVerdict::Accepted && r.stdout_text == "1\n") return;
  std::string what = "a test program (print(1)) did not run: " + std::string(describe(r.verdict));
  if (!r.message.empty()) what += ", " + r.message;
  if (!r.stderr_tail.empty()) what += "; stderr: " + last_line(r.stderr_tail);
  if (r.verdict == CodeVerdict::Accepted) what = "a test program (print(1)) printed \"" + r.stdout_text + "\", not 1";
  throw_cannot_start(config, what);
}

}  // namespace tpt::code
