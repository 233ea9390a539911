// `tpt serve`: a model folder behind an OpenAI-compatible HTTP API (cpp-httplib), so that
// anything that speaks to vLLM or OpenAI (the round runner's OpenAI sampler, the `openai`
// Python client, curl) can draw samples from the engine.
//
//   GET  /health               200 once the model is loaded
//   GET  /version              {"version": "<tpt version>"}
//   GET  /v1/models            the one served model (id = ServerOptions::name)
//   POST /v1/completions       prompt: text, texts, token ids, or lists of token ids
//   POST /v1/chat/completions  messages, through the model's chat template
//
// Both POSTs answer at once or, with "stream": true, as Server-Sent Events while the tokens are
// drawn. A sample depends only on its prompt ids, seed and sampling settings, never on which
// requests it was batched with: token-id prompt P with seed S gives exactly what
// think::Generator gives for {P, S}, and choice i of a request gets seed S + i, as sample i of
// `tpt generate --seed S` does. docs/serve.md has the fields and defaults. Torch-free.
#pragma once

#include <memory>
#include <string>

namespace tpt::serve {

struct ServerOptions {
  std::string model_dir;
  std::string name;                // the model id clients send; default: the folder's name
  std::string host = "127.0.0.1";
  int port = 8000;                 // 0: any free port (see Server::port)
  std::string device = "auto";     // "cpu", "cuda" or "auto" (CUDA when present)
  int batch_size = 64;             // sequences generated together at most
  int batch_window_ms = 5;         // how long a free generator waits for more requests
  bool log_requests = true;        // one line per request on stderr
};

// What the generation thread has done so far.
struct ServerStats {
  int64_t batches = 0;    // Generator::generate calls
  int64_t sequences = 0;  // sequences generated (a request with n choices counts n)
  double busy_seconds = 0.0;  // spent generating (the rest of the time the model is idle)
};

class Server {
 public:
  // Loads the model and tokenizer; throws tpt::Error (or FileError) when they cannot be.
  explicit Server(ServerOptions options);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving on a thread of its own; returns once requests are accepted.
  // Throws tpt::Error when the address cannot be bound.
  void start();
  // Stops accepting, aborts what is queued or generating (those clients get an error), joins.
  // Safe to call from any thread, more than once.
  void stop();
  // Blocks until the server has stopped.
  void wait();

  ServerStats stats() const;
  int port() const;
  const std::string& name() const;
  const std::string& host() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tpt::serve
