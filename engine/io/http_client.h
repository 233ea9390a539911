// A small HTTP client for talking to model servers (OpenAI-compatible APIs), on libcurl.
//
// One HttpClient is one connection's worth of state (libcurl keeps the connection alive between
// requests), used by one thread at a time: a sampler with 16 requests in flight holds 16. A
// transfer can be aborted from another thread through `abort`, which libcurl polls about every
// second and on every chunk of data. Torch-free.
#pragma once

#include <atomic>
#include <string>
#include <vector>

namespace tpt::io {

struct HttpResponse {
  // 0 when no HTTP answer came (see transport_error); else the status code.
  long status = 0;
  std::string body;
  // Why nothing (or only part of an answer) arrived: "connection refused", "timed out after 30 s",
  // "aborted", ...; empty when a whole answer arrived.
  std::string transport_error;
  bool timed_out = false;
  double retry_after_s = -1.0;  // the Retry-After header in seconds, -1 when absent

  bool ok() const { return transport_error.empty() && status >= 200 && status < 300; }
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `headers`: "Name: value" lines sent with every request (e.g. Authorization).
  void set_headers(std::vector<std::string> headers);

  HttpResponse get(const std::string& url, double timeout_s, const std::atomic<bool>* abort = nullptr);
  HttpResponse post_json(const std::string& url, const std::string& body, double timeout_s,
                         const std::atomic<bool>* abort = nullptr);

 private:
  HttpResponse perform(const std::string& url, const std::string* body, double timeout_s,
                       const std::atomic<bool>* abort);
  void* curl_ = nullptr;
  std::vector<std::string> headers_;
};

}  // namespace tpt::io
