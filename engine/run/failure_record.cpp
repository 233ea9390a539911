#include "run/failure_record.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <fstream>
#include <iterator>

namespace tpt::run {

namespace {

constexpr size_t kReserved = 4096;

// The handlers read only these: a signal handler may not take locks or allocate.
volatile int g_fd = -1;
char g_context[256] = "";
struct sigaction g_previous[32];
std::terminate_handler g_previous_terminate = nullptr;
constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

const char* signal_name(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV, a memory fault";
    case SIGBUS: return "SIGBUS, a bus error (a mapped file shrank?)";
    case SIGFPE: return "SIGFPE, an arithmetic fault";
    case SIGILL: return "SIGILL, an illegal instruction (a build for another CPU?)";
    case SIGABRT: return "SIGABRT, an abort";
    default: return "a fatal signal";
  }
}

void write_at_start(int fd, const char* text, size_t size) {
  size = std::min(size, kReserved - 1);
  if (::pwrite(fd, text, size, 0) < 0) return;
  const char end = '\0';
  (void)::pwrite(fd, &end, 1, static_cast<off_t>(size));
}

void on_crash(int sig) {
  const int fd = g_fd;
  if (fd >= 0) {
    char text[512];
    size_t n = 0;
    const auto append = [&](const char* part) {
      for (; *part && n + 1 < sizeof text; ++part) text[n++] = *part;
    };
    append("crashed (");
    append(signal_name(sig));
    append(")");
    if (g_context[0]) {
      append(" in ");
      append(g_context);
    }
    append("; tpt run resumes it");
    write_at_start(fd, text, n);
    (void)::fsync(fd);
  }
  // Then die as the signal would have: the previous handler, or the default action.
  for (size_t i = 0; i < std::size(kSignals); ++i)
    if (kSignals[i] == sig) ::sigaction(sig, &g_previous[sig], nullptr);
  ::raise(sig);
}

// An exception nobody caught ends in std::terminate and then SIGABRT; its message is more
// useful than "an abort", so it is written first (the handler then keeps it).
void on_terminate() {
  if (g_fd >= 0) {
    std::string cause = "crashed: an uncaught error";
    if (const std::exception_ptr error = std::current_exception()) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        cause += std::string(": ") + e.what();
      } catch (...) {
      }
    }
    if (g_context[0]) cause += std::string(" in ") + g_context;
    write_at_start(g_fd, cause.data(), cause.size());
    (void)::fsync(g_fd);
    ::signal(SIGABRT, SIG_DFL);  // keep this message rather than the abort's
  }
  if (g_previous_terminate) g_previous_terminate();
  std::abort();
}

}  // namespace

FailureRecord::FailureRecord(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) return;  // a convenience: the run goes on without it
  // Allocated now, zero-filled: a later write needs no new block.
  if (::posix_fallocate(fd_, 0, kReserved) != 0) {
    const std::string zeros(kReserved, '\0');
    (void)::pwrite(fd_, zeros.data(), zeros.size(), 0);
  }
  (void)::fsync(fd_);
  g_fd = fd_;
  g_context[0] = '\0';
  struct sigaction action {};
  action.sa_handler = on_crash;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND | SA_NODEFER;
  for (int sig : kSignals) ::sigaction(sig, &action, &g_previous[sig]);
  g_previous_terminate = std::set_terminate(on_terminate);
}

FailureRecord::~FailureRecord() {
  if (fd_ < 0) return;
  for (int sig : kSignals) ::sigaction(sig, &g_previous[sig], nullptr);
  std::set_terminate(g_previous_terminate);
  g_fd = -1;
  ::close(fd_);
}

void FailureRecord::record(const std::string& cause) noexcept {
  if (fd_ < 0) return;
  write_at_start(fd_, cause.data(), cause.size());
  (void)::fsync(fd_);
}

void set_failure_context(const std::string& where) noexcept {
  const size_t n = std::min(where.size(), sizeof g_context - 1);
  std::memcpy(g_context, where.data(), n);
  g_context[n] = '\0';
}

std::optional<std::string> read_failure_record(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(kReserved, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  text.resize(std::min(text.size(), text.find('\0')));
  if (text.empty()) return std::nullopt;
  return text;
}

}  // namespace tpt::run
