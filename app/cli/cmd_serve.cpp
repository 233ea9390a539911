// tpt serve: the engine behind an OpenAI-compatible HTTP API (engine/serve/server.h).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <thread>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "core/error.h"
#include "runtime/torch_runtime.h"
#include "serve/server.h"

namespace tpt::cli {

namespace {

int stop_pipe[2] = {-1, -1};

void on_stop_signal(int signal) {
  const char byte = static_cast<char>(signal);
  const ssize_t ignored = write(stop_pipe[1], &byte, 1);  // async-signal-safe
  (void)ignored;
}

}  // namespace

static int usage() {
  std::printf(
      "usage: tpt serve --model DIR [--host 127.0.0.1] [--port 8000] [--device cpu|cuda|auto]\n"
      "                 [--name NAME] [--batch-size 64] [--batch-window-ms 5] [--quiet-requests]\n\n"
      "Serves the model folder DIR over HTTP with OpenAI's API, as vLLM does:\n"
      "  GET /health, GET /version, GET /v1/models,\n"
      "  POST /v1/completions, POST /v1/chat/completions (\"stream\": true for Server-Sent Events).\n"
      "The model id is NAME (default: the folder's name); --port 0 takes any free port (the\n"
      "listening line says which). Up to --batch-size sequences are generated together; requests\n"
      "with the same sampling settings join the running batch as rows free up (an idle server\n"
      "first waits --batch-window-ms for company). A sample depends only on its\n"
      "prompt, seed and settings: choice i of a request with seed S is sample i of\n"
      "`tpt generate --seed S` (seed S+i). Stops cleanly on SIGTERM or Ctrl-C. See docs/serve.md.\n");
  return 0;
}

int run_serve(const Args& raw) {
  Arguments args(raw, {"model", "host", "port", "device", "name", "batch-size", "batch-window-ms"},
                 {"quiet-requests", "help"});
  if (args.flag("help")) return usage();
  serve::ServerOptions options;
  options.model_dir = args.required("model");
  options.host = args.value_or("host", options.host);
  const double port = args.number("port", options.port);
  if (port < 0 || port > 65535 || port != static_cast<int>(port)) throw UsageError("--port must be in [0, 65535]");
  options.port = static_cast<int>(port);
  options.device = args.choice("device", {"auto", "cpu", "cuda"}, "auto");
  runtime::require_device(options.device, "--device");
  options.name = args.value_or("name", "");
  options.batch_size = static_cast<int>(args.number("batch-size", options.batch_size));
  if (options.batch_size < 1) throw UsageError("--batch-size must be >= 1");
  options.batch_window_ms = static_cast<int>(args.number("batch-window-ms", options.batch_window_ms));
  if (options.batch_window_ms < 0) throw UsageError("--batch-window-ms must be >= 0");
  options.log_requests = !args.flag("quiet-requests");

  // SIGTERM (the round runner's stop) and SIGINT only write a byte to a pipe: stopping the
  // server locks and joins, which a signal handler may not do, and libtorch's and OpenBLAS's
  // threads already exist, so a signal mask (sigwait) would not catch a signal delivered to them.
  if (pipe(stop_pipe) != 0) throw Error("tpt serve: cannot create a pipe");
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  serve::Server server(options);
  server.start();
  std::printf("tpt serve: listening on http://%s:%d (model %s)\n", server.host().c_str(), server.port(),
              server.name().c_str());
  std::fflush(stdout);

  std::thread([&server] {
    char signal = 0;
    while (read(stop_pipe[0], &signal, 1) < 0 && errno == EINTR) {
    }
    std::fprintf(stderr, "tpt serve: %s, stopping\n", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    server.stop();
  }).detach();
  server.wait();
  return 0;
}

}  // namespace tpt::cli
