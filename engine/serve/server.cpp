#include "serve/server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "core/error.h"
#include "model/checkpoint.h"
#include "serve/batcher.h"
#include "serve/openai_api.h"
#include "text/model_tokenizer.h"
#include "think/generator.h"

namespace tpt::serve {

using nlohmann::json;

namespace {

std::string random_hex(size_t digits) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < digits; ++i) out += hex[rng() % 16];
  return out;
}

uint64_t random_seed() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// OpenAI's finish_reason: both an end-of-turn token and a stop string are "stop".
const char* finish_reason_name(think::FinishReason reason) {
  switch (reason) {
    case think::FinishReason::Eos:
    case think::FinishReason::StopString: return "stop";
    case think::FinishReason::Length: return "length";
    case think::FinishReason::Cancelled: return "abort";
  }
  return "abort";
}

// vLLM's stop_reason: the stop string that matched; null for an end-of-turn token or the limit.
json stop_reason(const think::Generation& g) {
  return g.finish_reason == think::FinishReason::StopString ? json(g.stop_string) : json(nullptr);
}

// The longest tail of `text` that is the start of a stop string: it may still become one, so a
// stream holds it back until the next tokens tell.
size_t undecided_tail(const std::string& text, const std::vector<std::string>& stops) {
  size_t longest = 0;
  for (const std::string& stop : stops)
    for (size_t k = std::min(stop.size() - 1, text.size()); k > longest; --k)
      if (text.compare(text.size() - k, k, stop, 0, k) == 0) {
        longest = k;
        break;
      }
  return longest;
}

struct TokenRecord {
  int32_t id = 0;
  float logprob = 0.f;
  std::vector<std::pair<int32_t, float>> top;
  size_t text_offset = 0;  // where the token's text starts in the completion (as drawn)
};

struct Choice {
  std::string drawn;  // the text as drawn, before any stop-string cut
  size_t sent = 0;    // bytes of text already streamed
  std::vector<TokenRecord> tokens;  // only when logprobs were asked for
  size_t tokens_sent = 0;
  bool done = false;
  think::Generation result;
};

// One HTTP request in flight, shared between its handler thread and the generation thread.
struct Exchange {
  std::mutex mutex;
  std::condition_variable changed;
  CompletionRequest request;
  std::string id;
  int64_t created = 0;
  int64_t prompt_tokens = 0;
  std::vector<Choice> choices;
  size_t done = 0;
  std::string aborted;             // why it cannot finish, when it cannot
  std::deque<std::string> events;  // Server-Sent Events ready to go out (stream)
  bool client_gone = false;

  bool finished() const { return done == choices.size() || !aborted.empty(); }
};

std::string sse(const json& chunk) { return "data: " + chunk.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n"; }

}  // namespace

struct Server::Impl {
  ServerOptions options;
  model::CausalLm model{nullptr};
  text::ModelTokenizer tokenizer;
  std::unique_ptr<think::Generator> generator;
  std::unique_ptr<Batcher> batcher;
  httplib::Server http;
  std::thread listener;
  int bound_port = 0;
  int64_t started = unix_now();
  int64_t context = 0;
  int64_t vocab = 0;
  std::mutex stop_mutex;
  std::condition_variable stopped_cv;
  bool stopped = false;              // stop() has finished
  std::atomic<bool> listener_ended{false};
  std::mutex stop_call_mutex;
  int listen_socket = -1;        // one stop() at a time: the second finds the work done

  std::string token_text(int32_t id) const { return tokenizer.tokenizer->decode({id}, /*skip_special_tokens=*/false); }

  json completion_logprobs(const Choice& c, size_t from, size_t to) const {
    json tokens = json::array(), logprobs = json::array(), tops = json::array(), offsets = json::array();
    for (size_t i = from; i < to; ++i) {
      const TokenRecord& t = c.tokens[i];
      tokens.push_back(token_text(t.id));
      logprobs.push_back(t.logprob);
      // vLLM's shape: the alternatives and the drawn token, by text.
      json top = json::object();
      for (const auto& [id, lp] : t.top) top[token_text(id)] = lp;
      top[token_text(t.id)] = t.logprob;
      tops.push_back(std::move(top));
      offsets.push_back(t.text_offset);
    }
    return {{"tokens", tokens}, {"token_logprobs", logprobs}, {"top_logprobs", tops}, {"text_offset", offsets}};
  }

  json chat_logprobs(const Choice& c, size_t from, size_t to) const {
    auto entry = [&](int32_t id, float lp) {
      const std::string text = token_text(id);
      return json{{"token", text}, {"logprob", lp}, {"bytes", std::vector<uint8_t>(text.begin(), text.end())}};
    };
    json content = json::array();
    for (size_t i = from; i < to; ++i) {
      const TokenRecord& t = c.tokens[i];
      json e = entry(t.id, t.logprob);
      json top = json::array();
      for (const auto& [id, lp] : t.top) top.push_back(entry(id, lp));
      e["top_logprobs"] = std::move(top);
      content.push_back(std::move(e));
    }
    return {{"content", content}};
  }

  // One streamed chunk of choice `index`: `text` new, the tokens [from, to) for logprobs, and
  // the result once it is done.
  json chunk(const Exchange& ex, size_t index, const std::string& text, size_t from, size_t to,
             const think::Generation* done) const {
    const bool chat = ex.request.endpoint == Endpoint::ChatCompletions;
    const Choice& c = ex.choices[index];
    json choice = {{"index", index}};
    if (chat) {
      choice["delta"] = text.empty() && done ? json::object() : json{{"content", text}};
    } else {
      choice["text"] = text;
    }
    choice["logprobs"] = !ex.request.logprobs ? json(nullptr)
                         : chat              ? chat_logprobs(c, from, to)
                                             : completion_logprobs(c, from, to);
    choice["finish_reason"] = done ? json(finish_reason_name(done->finish_reason)) : json(nullptr);
    choice["stop_reason"] = done ? stop_reason(*done) : json(nullptr);
    return {{"id", ex.id},
            {"object", chat ? "chat.completion.chunk" : "text_completion"},
            {"created", ex.created},
            {"model", options.name},
            {"choices", json::array({choice})}};
  }

  json usage(const Exchange& ex) const {
    int64_t completion = 0;
    for (const Choice& c : ex.choices) completion += static_cast<int64_t>(c.result.token_ids.size());
    return {{"prompt_tokens", ex.prompt_tokens},
            {"completion_tokens", completion},
            {"total_tokens", ex.prompt_tokens + completion}};
  }

  json response(const Exchange& ex) const {
    const bool chat = ex.request.endpoint == Endpoint::ChatCompletions;
    json choices = json::array();
    for (size_t i = 0; i < ex.choices.size(); ++i) {
      const Choice& c = ex.choices[i];
      json choice = {{"index", i}};
      if (chat) choice["message"] = {{"role", "assistant"}, {"content", c.result.text}};
      else choice["text"] = c.result.text;
      choice["logprobs"] = !ex.request.logprobs ? json(nullptr)
                           : chat              ? chat_logprobs(c, 0, c.tokens.size())
                                               : completion_logprobs(c, 0, c.tokens.size());
      choice["finish_reason"] = finish_reason_name(c.result.finish_reason);
      choice["stop_reason"] = stop_reason(c.result);
      choices.push_back(std::move(choice));
    }
    return {{"id", ex.id},
            {"object", chat ? "chat.completion" : "text_completion"},
            {"created", ex.created},
            {"model", options.name},
            {"choices", choices},
            {"usage", usage(ex)}};
  }

  // The prompt ids of each prompt (completions) or of the conversation (chat).
  std::vector<std::vector<int32_t>> prompt_ids(const CompletionRequest& r) const {
    std::vector<std::vector<int32_t>> out;
    if (r.endpoint == Endpoint::ChatCompletions) {
      std::vector<int32_t> ids;
      try {
        ids = tokenizer.encode_chat(r.messages);
      } catch (const Error& e) {
        throw ApiError(e.what(), "messages");
      }
      // vLLM's add_special_tokens on a chat: the post-processor's BOS on top of the template's.
      if (r.add_special_tokens && tokenizer.add_bos_token && tokenizer.bos_id) ids.insert(ids.begin(), *tokenizer.bos_id);
      out.push_back(std::move(ids));
      return out;
    }
    for (const PromptInput& p : r.prompts) {
      std::vector<int32_t> ids;
      if (p.text) {
        try {
          // With special tokens: exactly `tpt generate --prompt TEXT` (BOS as the model wants).
          ids = r.add_special_tokens ? tokenizer.encode_prompt(*p.text) : tokenizer.tokenizer->encode(*p.text, false);
        } catch (const Error& e) {
          throw ApiError(std::string("'prompt': ") + e.what(), "prompt");
        }
      } else {
        ids = p.ids;
        for (int32_t id : ids)
          if (id >= vocab)
            throw ApiError("'prompt' token id " + std::to_string(id) + " is outside the model's vocabulary (" +
                               std::to_string(vocab) + " tokens)",
                           "prompt");
      }
      if (ids.empty()) throw ApiError("'prompt' is empty once tokenized", "prompt");
      out.push_back(std::move(ids));
    }
    return out;
  }

  void reply_error(httplib::Response& res, const ApiError& e) const {
    res.status = e.status();
    res.set_content(error_body(e.what(), e.type(), e.param()).dump(-1, ' ', false, json::error_handler_t::replace),
                    "application/json");
  }

  void handle(const httplib::Request& req, httplib::Response& res, Endpoint endpoint) {
    try {
      const CompletionRequest request = parse_completion_request(parse_body(req.body), endpoint);
      if (request.model && *request.model != options.name)
        throw ApiError("The model `" + *request.model + "` does not exist; this server serves `" + options.name + "`",
                       "model");
      const auto prompts = prompt_ids(request);
      const bool chat = endpoint == Endpoint::ChatCompletions;

      // Limits: the prompt and its completion must fit the model's context.
      int max_tokens = request.max_tokens.value_or(0);
      for (const auto& ids : prompts) {
        const auto room = context - static_cast<int64_t>(ids.size());
        if (room < 1)
          throw ApiError("the prompt has " + std::to_string(ids.size()) + " tokens; the model's context is " +
                             std::to_string(context),
                         chat ? "messages" : "prompt");
        if (!request.max_tokens) max_tokens = static_cast<int>(room);  // chat: up to the context
        else if (max_tokens > room)
          throw ApiError("'max_tokens' is " + std::to_string(max_tokens) + " but the prompt leaves room for " +
                             std::to_string(room) + " tokens (context " + std::to_string(context) + ")",
                         "max_tokens");
      }

      think::GenerationOptions gen;
      gen.sampling.temperature = request.temperature;
      gen.sampling.top_p = request.top_p;
      gen.sampling.top_k = request.top_k;
      gen.max_new_tokens = max_tokens;
      gen.stop_strings = request.stop;
      gen.stop_ids = tokenizer.stop_ids;
      for (const int32_t id : request.stop_token_ids)
        if (std::find(gen.stop_ids.begin(), gen.stop_ids.end(), id) == gen.stop_ids.end()) gen.stop_ids.push_back(id);
      gen.top_logprobs = request.logprobs.value_or(0);

      auto ex = std::make_shared<Exchange>();
      ex->request = request;
      ex->id = (chat ? "chatcmpl-" : "cmpl-") + random_hex(32);
      ex->created = unix_now();
      ex->choices.resize(prompts.size() * static_cast<size_t>(request.n));
      for (const auto& ids : prompts) ex->prompt_tokens += static_cast<int64_t>(ids.size());
      // Choice i of a prompt gets seed + i, as vLLM's n and `tpt generate -n` do.
      const uint64_t seed = request.seed ? *request.seed : random_seed();

      std::vector<SequenceJob> jobs;
      for (size_t p = 0; p < prompts.size(); ++p) {
        for (int i = 0; i < request.n; ++i) {
          const size_t index = p * static_cast<size_t>(request.n) + static_cast<size_t>(i);
          SequenceJob job;
          job.request = {prompts[p], seed + static_cast<uint64_t>(i), max_tokens};
          job.on_step = [this, ex, index](const think::SequenceStep& step) { on_step(*ex, index, step); };
          job.on_abort = [ex](const std::string& why) {
            std::lock_guard<std::mutex> lock(ex->mutex);
            if (ex->aborted.empty()) ex->aborted = why;
            ex->changed.notify_all();
          };
          jobs.push_back(std::move(job));
        }
      }
      if (request.stream && chat)
        for (size_t i = 0; i < ex->choices.size(); ++i) {
          json first = chunk(*ex, i, "", 0, 0, nullptr);
          first["choices"][0]["delta"] = {{"role", "assistant"}, {"content", ""}};
          ex->events.push_back(sse(first));
        }
      batcher->submit(gen, std::move(jobs));

      if (!request.stream) {
        std::unique_lock<std::mutex> lock(ex->mutex);
        ex->changed.wait(lock, [&] { return ex->finished(); });
        if (!ex->aborted.empty()) throw ApiError(ex->aborted, "", 503, "server_error");
        res.set_content(response(*ex).dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
        return;
      }
      res.set_header("Cache-Control", "no-cache");
      res.set_chunked_content_provider(
          "text/event-stream",
          [this, ex](size_t, httplib::DataSink& sink) { return stream_some(*ex, sink); },
          [ex](bool success) {
            if (success) return;
            std::lock_guard<std::mutex> lock(ex->mutex);
            ex->client_gone = true;
          });
    } catch (const ApiError& e) {
      reply_error(res, e);
    }
  }

  // Generation thread: records the token and, when streaming, queues what can be sent.
  void on_step(Exchange& ex, size_t index, const think::SequenceStep& step) {
    std::lock_guard<std::mutex> lock(ex.mutex);
    Choice& c = ex.choices[index];
    if (ex.request.logprobs) c.tokens.push_back({step.token, step.logprob, step.top_logprobs, c.drawn.size()});
    c.drawn += step.piece;
    if (step.finished) {
      c.result = *step.finished;
      c.done = true;
      ++ex.done;
    }
    bool news = c.done;
    if (ex.request.stream && !ex.client_gone) {
      std::string text;
      if (c.done) {
        // The final text may be shorter than what was drawn (a stop string is cut off), never
        // shorter than what was sent: sent text never reaches into a possible stop string.
        if (c.result.text.size() > c.sent) text = c.result.text.substr(c.sent);
        c.sent = std::max(c.sent, c.result.text.size());
      } else {
        const size_t safe = c.drawn.size() - undecided_tail(c.drawn, ex.request.stop);
        if (safe > c.sent) text = c.drawn.substr(c.sent, safe - c.sent);
        c.sent = std::max(c.sent, safe);
      }
      if (!text.empty() || c.done || ex.request.logprobs) {
        ex.events.push_back(sse(chunk(ex, index, text, c.tokens_sent, c.tokens.size(), c.done ? &c.result : nullptr)));
        c.tokens_sent = c.tokens.size();
        news = true;
      }
    }
    // Waking the handler for every token would cost a context switch per token per request.
    if (news) ex.changed.notify_all();
  }

  // HTTP thread: sends what is queued, waiting for more; ends the stream once every choice is
  // done (with the usage when asked for) or the request was aborted.
  bool stream_some(Exchange& ex, httplib::DataSink& sink) {
    std::deque<std::string> out;
    bool end = false;
    {
      std::unique_lock<std::mutex> lock(ex.mutex);
      ex.changed.wait(lock, [&] { return !ex.events.empty() || ex.finished(); });
      out.swap(ex.events);
      end = ex.finished();
      if (end) {
        if (!ex.aborted.empty())
          out.push_back(sse(error_body(ex.aborted, "server_error", "")));
        else if (ex.request.include_usage)
          out.push_back(sse({{"id", ex.id},
                             {"object", ex.request.endpoint == Endpoint::ChatCompletions ? "chat.completion.chunk"
                                                                                         : "text_completion"},
                             {"created", ex.created},
                             {"model", options.name},
                             {"choices", json::array()},
                             {"usage", usage(ex)}}));
        out.push_back("data: [DONE]\n\n");
      }
    }
    for (const std::string& event : out)
      if (!sink.write(event.data(), event.size())) {
        std::lock_guard<std::mutex> lock(ex.mutex);
        ex.client_gone = true;
        return false;
      }
    if (end) sink.done();
    return true;
  }

  void routes() {
    http.Get("/health", [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
    http.Get("/version", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(json{{"version", TPT_VERSION}}.dump(), "application/json");
    });
    http.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
      const json model = {{"id", options.name},          {"object", "model"},  {"created", started},
                          {"owned_by", "tpt"},           {"root", options.model_dir}, {"parent", nullptr},
                          {"max_model_len", context}};
      res.set_content(json{{"object", "list"}, {"data", json::array({model})}}.dump(), "application/json");
    });
    http.Post("/v1/completions",
              [this](const httplib::Request& req, httplib::Response& res) { handle(req, res, Endpoint::Completions); });
    http.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      handle(req, res, Endpoint::ChatCompletions);
    });
    // Unknown paths (and methods) in OpenAI's error shape.
    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      const std::string message = res.status == 404 ? "Not Found: " + req.method + " " + req.path
                                                    : "HTTP " + std::to_string(res.status);
      res.set_content(error_body(message, res.status == 404 ? "not_found_error" : "invalid_request_error", "").dump(),
                      "application/json");
    });
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string message = "internal error";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        message = e.what();
      } catch (...) {
      }
      res.status = 500;
      res.set_content(error_body(message, "server_error", "").dump(-1, ' ', false, json::error_handler_t::replace),
                      "application/json");
    });
    if (options.log_requests)
      http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
        std::fprintf(stderr, "tpt serve: %s %s %d (%zu bytes in)\n", req.method.c_str(), req.path.c_str(), res.status,
                     req.body.size());
      });
  }
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  if (options.batch_size < 1) throw Error("tpt serve: --batch-size must be >= 1");
  if (options.name.empty()) options.name = std::filesystem::path(options.model_dir).lexically_normal().filename().string();
  if (options.name.empty() || options.name == ".")
    options.name = std::filesystem::absolute(options.model_dir).lexically_normal().parent_path().filename().string();
  s.options = std::move(options);
  model::LoadOptions load;
  if (s.options.device == "cuda") load.device = torch::Device(torch::kCUDA);
  else if (s.options.device == "auto") load.device = model::best_device();
  else if (s.options.device != "cpu") throw Error("tpt serve: device must be cpu, cuda or auto, got " + s.options.device);
  s.model = model::load_model(s.options.model_dir, load);
  s.model->eval();
  s.tokenizer = text::load_model_tokenizer(s.options.model_dir);
  s.context = s.model->config().max_position_embeddings;
  s.vocab = s.model->config().vocab_size;
  s.generator = std::make_unique<think::Generator>(s.model, *s.tokenizer.tokenizer);
  s.batcher = std::make_unique<Batcher>(*s.generator, s.options.batch_size,
                                        std::chrono::milliseconds(std::max(0, s.options.batch_window_ms)));
  // Every connection holds a thread while it waits for its tokens: room for a full batch of
  // clients on kept-alive connections, and some to spare for /health and the like.
  const size_t threads = static_cast<size_t>(std::max(16, 2 * s.options.batch_size + 8));
  s.http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.http.set_keep_alive_max_count(100000);
  // httplib listens with a backlog of 5: a batch's worth of clients connecting at once would
  // overflow it and wait out TCP's one-second SYN retry (or fail). Remember the socket so that
  // start() can listen again with room for every client.
  s.http.set_socket_options([impl = impl_.get()](socket_t sock) {
    httplib::default_socket_options(sock);
    impl->listen_socket = sock;
  });
  s.http.set_payload_max_length(64u << 20);
  s.routes();
}

Server::~Server() { stop(); }

void Server::start() {
  Impl& s = *impl_;
  if (s.options.port == 0) {
    s.bound_port = s.http.bind_to_any_port(s.options.host);
    if (s.bound_port < 0) throw Error("tpt serve: cannot listen on " + s.options.host);
  } else {
    if (!s.http.bind_to_port(s.options.host, s.options.port))
      throw Error("tpt serve: cannot listen on " + s.options.host + ":" + std::to_string(s.options.port) +
                  " (in use, or not an address of this machine)");
    s.bound_port = s.options.port;
  }
  // Calling listen() again on a listening socket sets its backlog (Linux, POSIX allows it).
  if (s.listen_socket >= 0) ::listen(s.listen_socket, std::max(128, 4 * s.options.batch_size));
  s.listener = std::thread([this] {
    impl_->http.listen_after_bind();
    impl_->listener_ended = true;
  });
  // Bound already, so connections queue from here on; wait only for the accept loop to run.
  while (!s.http.is_running()) {
    if (s.listener_ended) throw Error("tpt serve: the server stopped while starting");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void Server::stop() {
  Impl& s = *impl_;
  std::lock_guard<std::mutex> serial(s.stop_call_mutex);
  // Aborting first wakes every handler still waiting for tokens, so the pool can wind down.
  if (s.batcher) s.batcher->stop();
  s.http.stop();
  if (s.listener.joinable()) s.listener.join();
  std::lock_guard<std::mutex> lock(s.stop_mutex);
  s.stopped = true;
  s.stopped_cv.notify_all();
}

void Server::wait() {
  std::unique_lock<std::mutex> lock(impl_->stop_mutex);
  impl_->stopped_cv.wait(lock, [&] { return impl_->stopped; });
}

ServerStats Server::stats() const {
  const BatcherStats b = impl_->batcher->stats();
  return {b.batches, b.sequences, b.busy_seconds};
}

int Server::port() const { return impl_->bound_port; }
const std::string& Server::name() const { return impl_->options.name; }
const std::string& Server::host() const { return impl_->options.host; }

}  // namespace tpt::serve
