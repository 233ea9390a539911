#include "cli/progress_printer.h"

#include <unistd.h>

#include <cstdio>

namespace tpt::cli {

std::string format_duration(double seconds) {
  char text[32];
  const long s = static_cast<long>(seconds + 0.5);
  if (s < 60) std::snprintf(text, sizeof text, "%lds", s);
  else if (s < 3600) std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(text, sizeof text, "%ldh%02ldm", s / 3600, s / 60 % 60);
  return text;
}

ProgressPrinter::ProgressPrinter() : tty_(isatty(STDERR_FILENO)) {}

ProgressPrinter::~ProgressPrinter() { end_bar(); }

void ProgressPrinter::end_bar() {
  if (bar_open_) std::fprintf(stderr, "\n");
  bar_open_ = false;
}

void ProgressPrinter::on_phase(int round, run::Phase phase) {
  end_bar();
  std::fprintf(stderr, "round %d: %s\n", round, run::to_string(phase));
  last_line_ = std::chrono::steady_clock::now();
}

void ProgressPrinter::on_progress(const run::Progress& p) {
  const auto now = std::chrono::steady_clock::now();
  const bool finished = p.total > 0 && p.done >= p.total;
  std::string eta = p.eta_seconds >= 0 ? "ETA " + format_duration(p.eta_seconds) : "ETA -";
  char loss[32] = "";
  if (p.loss) std::snprintf(loss, sizeof loss, " · loss %.4f", *p.loss);
  if (tty_) {
    // Redraw at most 10 times a second: a terminal is slow to scroll.
    if (!finished && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const int width = 30;
    const int filled = p.total > 0 ? static_cast<int>(width * static_cast<double>(p.done) / p.total) : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r  %s [%s] %lld/%lld %s · %.0f tok/s · %s%s   ", run::to_string(p.phase), bar.c_str(),
                 static_cast<long long>(p.done), static_cast<long long>(p.total), p.unit.c_str(), p.tokens_per_second,
                 eta.c_str(), loss);
    std::fflush(stderr);
    bar_open_ = true;
    return;
  }
  // Not a terminal: a line every 30 s, and one at the end.
  if (!finished && now - last_line_ < std::chrono::seconds(30)) return;
  last_line_ = now;
  std::fprintf(stderr, "  %s %lld/%lld %s · %.0f tok/s · %s%s\n", run::to_string(p.phase),
               static_cast<long long>(p.done), static_cast<long long>(p.total), p.unit.c_str(), p.tokens_per_second,
               eta.c_str(), loss);
}

void ProgressPrinter::on_log(const run::LogLine& line) {
  end_bar();
  if (line.level == "info")
    std::fprintf(stderr, "  %s\n", line.message.c_str());
  else
    std::fprintf(stderr, "  %s: %s\n", line.level.c_str(), line.message.c_str());
}

void ProgressPrinter::on_server(const run::ServerStatus& status) {
  if (!status.state_changed) return;
  end_bar();
  if (status.state == "starting")
    std::fprintf(stderr, "  server: starting `%s`\n", status.command.empty() ? status.url.c_str() : status.command.c_str());
  else if (status.state == "ready")
    std::fprintf(stderr, "  server: ready at %s%s\n", status.url.c_str(),
                 status.version.empty() ? "" : (" (" + status.version + ")").c_str());
  else
    std::fprintf(stderr, "  server: %s\n", status.state.c_str());
}

void ProgressPrinter::on_trainer(const run::TrainerStatus& status) {
  if (!status.state_changed) return;
  end_bar();
  if (status.state == "running")
    std::fprintf(stderr, "  trainer: running `%s` (output in %s)\n", status.command.c_str(), status.log_file.c_str());
  else if (status.state != "starting")
    std::fprintf(stderr, "  trainer: %s\n", status.state.c_str());
}

void ProgressPrinter::on_round_done(int, const std::map<std::string, double>&) { end_bar(); }

}  // namespace tpt::cli
