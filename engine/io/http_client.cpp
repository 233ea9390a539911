#include "io/http_client.h"

#include <curl/curl.h>

#include <cmath>
#include <cstdlib>
#include <mutex>

#include "core/error.h"

namespace tpt::io {

namespace {

// curl_global_init is not thread-safe: run it once, before the first handle.
void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t append_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t read_header(char* data, size_t size, size_t count, void* user) {
  const std::string line(data, size * count);
  const std::string name = "retry-after:";
  if (line.size() > name.size()) {
    std::string head = line.substr(0, name.size());
    for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (head == name) {
      // Only the delta-seconds form; an HTTP date is rare from model servers and falls back
      // to the caller's own backoff.
      char* end = nullptr;
      const double seconds = std::strtod(line.c_str() + name.size(), &end);
      if (end != line.c_str() + name.size() && std::isfinite(seconds) && seconds >= 0)
        *static_cast<double*>(user) = seconds;
    }
  }
  return size * count;
}

int check_abort(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* abort = static_cast<const std::atomic<bool>*>(user);
  return abort && abort->load() ? 1 : 0;
}

}  // namespace

HttpClient::HttpClient() {
  init_curl_once();
  curl_ = curl_easy_init();
  if (!curl_) throw Error("libcurl: cannot create a transfer handle");
}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

void HttpClient::set_headers(std::vector<std::string> headers) { headers_ = std::move(headers); }

HttpResponse HttpClient::get(const std::string& url, double timeout_s, const std::atomic<bool>* abort) {
  return perform(url, nullptr, timeout_s, abort);
}

HttpResponse HttpClient::post_json(const std::string& url, const std::string& body, double timeout_s,
                                   const std::atomic<bool>* abort) {
  return perform(url, &body, timeout_s, abort);
}

HttpResponse HttpClient::perform(const std::string& url, const std::string* body, double timeout_s,
                                 const std::atomic<bool>* abort) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);
  HttpResponse response;
  curl_slist* header_list = nullptr;
  for (const auto& h : headers_) header_list = curl_slist_append(header_list, h.c_str());
  if (body) header_list = curl_slist_append(header_list, "Content-Type: application/json");
  // A server behind a slow proxy may answer 100-continue late; model requests are small.
  header_list = curl_slist_append(header_list, "Expect:");

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // worker threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max(1.0, timeout_s * 1000.0)));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::max(1.0, std::min(timeout_s, 30.0) * 1000.0)));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, read_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.retry_after_s);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, check_abort);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(abort));
  if (body) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(header_list);
  if (code != CURLE_OK) {
    response.timed_out = code == CURLE_OPERATION_TIMEDOUT;
    if (code == CURLE_ABORTED_BY_CALLBACK)
      response.transport_error = "aborted";
    else if (response.timed_out)
      response.transport_error = "no answer within " + std::to_string(static_cast<long>(timeout_s)) + " s";
    else
      response.transport_error = curl_easy_strerror(code);
    return response;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace tpt::io
