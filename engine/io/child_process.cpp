#include "io/child_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/error.h"

namespace tpt::io {

extern "C" char** environ;

namespace {

// This process's environment with `extra` added (a name given in both takes extra's value).
std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& x : extra) replaced |= x.substr(0, x.find('=')) == name;
    if (!replaced) out.push_back(entry);
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

}  // namespace

ChildProcess::ChildProcess(const std::string& command, const std::string& log_file,
                           const std::vector<std::string>& environment)
    : command_(command), log_file_(log_file) {
  // Everything exec needs is built before fork: the child of a threaded process may only make
  // async-signal-safe calls.
  const std::vector<std::string> env_strings = merged_environment(environment);
  std::vector<char*> envp;
  for (const auto& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const int log_fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw Error(log_file + ": cannot open for writing: " + std::strerror(errno));
  const pid_t parent = ::getpid();
  // Built before fork: the child may only make async-signal-safe calls.
  // A simple command is exec'd, so the server itself is the group leader the death signal
  // reaches; a compound one ("source venv/bin/activate && vllm serve ...") keeps its shell.
  const bool simple = command.find_first_of(";&|\n()`") == std::string::npos;
  // "CUDA_VISIBLE_DEVICES=0,1 trl sft ...": exec takes no assignments, env does (and execs too).
  const size_t first_space = command.find(' ');
  const std::string first_word = command.substr(0, first_space);
  const bool assigns = first_word.find('=') != std::string::npos &&
                       first_word.find_first_of("'\"") == std::string::npos;
  const std::string shell_line = !simple ? command : assigns ? "exec env " + command : "exec " + command;
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    ::close(log_fd);
    throw Error("cannot start `" + command + "`: " + std::strerror(e));
  }
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec.
    ::setpgid(0, 0);
    // A parent killed with SIGKILL cannot stop its server: the kernel does, so that a killed
    // run never leaves a server holding the GPUs. ("exec" keeps the server itself, not a shell,
    // as this process; it stops its own workers on SIGTERM.)
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) _exit(127);  // the parent died before prctl took effect
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    // Default signal handling: the parent may ignore SIGPIPE or block SIGINT.
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const char* argv[] = {"sh", "-c", shell_line.c_str(), nullptr};
    ::execve("/bin/sh", const_cast<char* const*>(argv), envp.data());
    _exit(127);
  }
  // Also set here: whichever of parent and child runs first, the group exists before a stop.
  ::setpgid(pid, pid);
  ::close(log_fd);
  pid_ = pid;
}

ChildProcess::~ChildProcess() {
  try {
    stop();
  } catch (...) {
  }
}

bool ChildProcess::running() {
  if (reaped_ || pid_ <= 0) return false;
  const pid_t r = ::waitpid(pid_, &status_, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    reaped_ = true;
    return false;
  }
  return true;
}

std::string ChildProcess::exit_description() {
  if (running()) return "";
  if (WIFEXITED(status_)) return "exited with status " + std::to_string(WEXITSTATUS(status_));
  if (WIFSIGNALED(status_)) {
    const int sig = WTERMSIG(status_);
    const char* name = ::strsignal(sig);
    return "killed by signal " + std::to_string(sig) + (name ? std::string(" (") + name + ")" : "");
  }
  return "ended";
}

void ChildProcess::stop(double grace_s) {
  if (pid_ <= 0) return;
  // The group outlives its leader when the shell's children ignore the shell's exit: signal the
  // group even when the leader is gone.
  ::kill(-pid_, SIGTERM);
  ::kill(-pid_, SIGCONT);  // a paused (SIGSTOP) group gets the SIGTERM only once it runs
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_s);
  while (running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (running()) {
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
    reaped_ = true;
  }
  // Whatever of the group is left (it ignored SIGTERM after its leader exited) goes too.
  ::kill(-pid_, SIGKILL);
  pid_ = -1;
}

void ChildProcess::signal_group(int signal) {
  if (pid_ > 0) ::kill(-pid_, signal);
}

int free_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw Error(std::string("cannot open a socket to find a free port: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int e = errno;
    ::close(fd);
    throw Error(std::string("cannot find a free port on 127.0.0.1: ") + std::strerror(e));
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string tail_lines(const std::string& path, int max_lines) {
  std::ifstream in(path);
  if (!in) return "";
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    size_t begin = 0;
    for (;;) {
      const size_t end = line.find('\r', begin);
      const std::string piece = line.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
      if (!piece.empty()) lines.push_back(piece);
      if (static_cast<int>(lines.size()) > max_lines) lines.pop_front();
      if (end == std::string::npos) break;
      begin = end + 1;
    }
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

LogFollower::LogFollower(std::string path) : path_(std::move(path)) {
  std::ifstream in(path_, std::ios::binary | std::ios::ate);
  if (in) start_ = offset_ = static_cast<long long>(in.tellg());
}

std::vector<std::string> LogFollower::new_lines() {
  std::vector<std::string> lines;
  std::ifstream in(path_, std::ios::binary | std::ios::ate);
  if (!in) return lines;
  const long long size = static_cast<long long>(in.tellg());
  if (size < offset_) offset_ = start_ = 0;  // the file was replaced: read the new one from its start
  if (size == offset_) return lines;
  std::string chunk(static_cast<size_t>(size - offset_), '\0');
  in.seekg(offset_);
  in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  chunk.resize(static_cast<size_t>(in.gcount()));
  size_t begin = 0;
  for (size_t i = 0; i < chunk.size(); ++i) {
    if (chunk[i] != '\n' && chunk[i] != '\r') continue;
    if (i > begin) lines.push_back(chunk.substr(begin, i - begin));
    begin = i + 1;
  }
  offset_ += static_cast<long long>(begin);  // a partial last line waits for its end
  return lines;
}

std::string shell_quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string fill_placeholders(const std::string& text, const std::vector<std::pair<std::string, std::string>>& values) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (const auto& [key, value] : values) {
      if (!key.empty() && text.compare(i, key.size(), key) == 0) {
        out += value;
        i += key.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

std::string tpt_program() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path beside = self.parent_path() / "tpt";
    if (std::filesystem::exists(beside, ec)) return beside.string();
  }
  return "tpt";  // from PATH
}

}  // namespace tpt::io
