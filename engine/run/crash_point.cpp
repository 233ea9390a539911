#include "run/crash_point.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

namespace tpt::run {

void crash_point(const char* name) {
  static const std::string spec = [] {
    const char* value = std::getenv("TPT_CRASH_AT");
    return std::string(value ? value : "");
  }();
  if (spec.empty()) return;
  const size_t at = spec.find('@');
  const std::string point = spec.substr(0, at);
  if (point != name) return;
  const long visit = at == std::string::npos ? 1 : std::strtol(spec.c_str() + at + 1, nullptr, 10);
  static std::mutex mutex;
  static long visits = 0;
  std::lock_guard<std::mutex> lock(mutex);
  if (++visits != visit) return;
  const char* as = std::getenv("TPT_CRASH_SIGNAL");
  ::raise(as && std::string(as) == "SEGV" ? SIGSEGV : SIGKILL);
}

}  // namespace tpt::run
