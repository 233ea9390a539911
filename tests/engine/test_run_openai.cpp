// Sampling on an OpenAI-compatible server (sampler.backend "openai").
//
// The sampler against a test-owned misbehaving server on 127.0.0.1 (500s, 429s, dropped
// connections, answers past the timeout, malformed JSON, truncated completions, 400s): every
// request is retried or fails with a message naming it, and no sample is lost or handed over
// twice. A launched server that fails to start, or dies mid-phase. Then whole runs: `tpt run`
// with the server launched (`tpt serve`) or attached gives exactly the experiment the
// in-process engine gives, also after a kill -9 during a remote Think.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "check.h"
#include "cli_process.h"
#include "config/experiment_config.h"
#include "demo_test_support.h"
#include "io/child_process.h"
#include "run/model_server.h"
#include "run_snapshot.h"
#include "store/store.h"
#include "think/engine_sampler.h"
#include "think/openai_sampler.h"
#include "model/checkpoint.h"
#include "text/model_tokenizer.h"
#include "tiny_experiment.h"

namespace fs = std::filesystem;
using nlohmann::json;
using tpt::think::FinishReason;
using tpt::think::OpenAiSampler;
using tpt::think::Sample;
using tpt::think::SampleRequest;

namespace {

// An OpenAI-shaped server whose every answer the test decides. `answer(body, attempt, res)`
// gets the request's JSON and how many times this seed was asked before (0 the first time).
class ScriptedServer {
 public:
  using Answer = std::function<void(const json& body, int attempt, httplib::Response& res)>;

  explicit ScriptedServer(Answer answer) : answer_(std::move(answer)) {
    server_.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
      const json body = json::parse(req.body);
      int attempt = 0;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        attempt = attempts_[body.at("seed").get<uint64_t>()]++;
        bodies_.push_back(body);
        authorizations_.push_back(req.get_header_value("Authorization"));
      }
      answer_(body, attempt, res);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~ScriptedServer() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<json> bodies() {
    std::lock_guard<std::mutex> lock(mutex_);
    return bodies_;
  }
  std::vector<std::string> authorizations() {
    std::lock_guard<std::mutex> lock(mutex_);
    return authorizations_;
  }

 private:
  Answer answer_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::map<uint64_t, int> attempts_;
  std::vector<json> bodies_;
  std::vector<std::string> authorizations_;
};

// The text a well-behaved scripted answer carries for a seed: tells the samples apart.
std::string text_for(uint64_t seed) { return "The answer for seed " + std::to_string(seed) + ".\n#### " + std::to_string(seed % 97); }

void answer_well(const json& body, httplib::Response& res, const std::string& finish = "stop",
                 const json& stop_reason = nullptr) {
  const uint64_t seed = body.at("seed").get<uint64_t>();
  const json answer = {{"id", "cmpl-1"},
                       {"object", "text_completion"},
                       {"choices", {{{"index", 0}, {"text", text_for(seed)}, {"finish_reason", finish},
                                     {"stop_reason", stop_reason}}}},
                       {"usage", {{"prompt_tokens", 4}, {"completion_tokens", 7}, {"total_tokens", 11}}}};
  res.set_content(answer.dump(), "application/json");
}

// A server at a fixed address that cannot be restarted (attach mode).
class FixedEndpoint final : public tpt::think::OpenAiEndpoint {
 public:
  explicit FixedEndpoint(std::string url) : url_(std::move(url)) {}
  std::string base_url() const override { return url_; }
  bool recover(const std::string&) override { return false; }

 private:
  std::string url_;
};

tpt::think::OpenAiSettings fast_settings() {
  tpt::think::OpenAiSettings s;
  s.model_name = "round-1";
  s.concurrency = 4;
  s.request_timeout_s = 2.0;
  s.retries = 2;
  s.backoff_initial_s = 0.01;
  s.backoff_max_s = 0.05;
  return s;
}

std::vector<SampleRequest> requests(int count) {
  auto prompt = std::make_shared<tpt::think::Prompt>();
  prompt->text = "<bos>Question: 2+2?\nSolution:";
  prompt->ids = {2, 17, 33, 4, 9};
  prompt->user_text = "Question: 2+2?";
  std::vector<SampleRequest> out;
  for (int i = 0; i < count; ++i) out.push_back({prompt, 1000 + static_cast<uint64_t>(i), "problem p" + std::to_string(i) + ", sample 0"});
  return out;
}

tpt::think::SamplingSettings sampling() {
  tpt::think::SamplingSettings s;
  s.temperature = 0.8;
  s.top_p = 0.95;
  s.top_k = 0;
  s.max_new_tokens = 64;
  s.stop_strings = {"\nQuestion:"};
  return s;
}

// Every sample the sink received, by request index; fails on a duplicate.
struct Collected {
  std::map<size_t, Sample> by_request;
  std::vector<size_t> order;  // request indexes as handed over
  tpt::think::SampleSink sink() {
    return [this](const std::vector<Sample>& samples) {
      for (const auto& s : samples) {
        if (!by_request.emplace(s.request, s).second)
          TPT_FAIL("request " + std::to_string(s.request) + " was handed over twice");
        order.push_back(s.request);
      }
    };
  }
};

}  // namespace

TPT_TEST(openai_sampler, one_request_per_sample_carries_its_seed_the_engine_prompt_ids_and_the_key) {
  ScriptedServer server([](const json& body, int, httplib::Response& res) { answer_well(body, res); });
  FixedEndpoint endpoint(server.url());
  auto settings = fast_settings();
  settings.api_key = "sk-test-123";
  settings.stop_token_ids = {1, 107};
  OpenAiSampler sampler(endpoint, settings);
  const auto reqs = requests(6);
  Collected got;
  VERIFY(sampler.sample(reqs, sampling(), got.sink(), {}, {}));
  COMPARE(got.by_request.size(), size_t{6});
  for (size_t i = 0; i < reqs.size(); ++i) {
    COMPARE(got.by_request.at(i).text, text_for(reqs[i].seed));
    COMPARE(got.by_request.at(i).token_count, int64_t{7});
    VERIFY(got.by_request.at(i).finish_reason == FinishReason::Eos);
  }
  const auto bodies = server.bodies();
  COMPARE(bodies.size(), size_t{6});
  std::set<uint64_t> seeds;
  for (const auto& b : bodies) {
    seeds.insert(b.at("seed").get<uint64_t>());
    COMPARE(b.at("n").get<int>(), 1);  // vLLM's n > 1 would give child i seed + i
    COMPARE(b.at("prompt"), json(std::vector<int>{2, 17, 33, 4, 9}));  // ids: no second BOS
    COMPARE(b.at("max_tokens").get<int>(), 64);  // vLLM's default would be 16
    COMPARE(b.at("model").get<std::string>(), std::string("round-1"));
    COMPARE(b.at("stop"), json({"\nQuestion:"}));
    COMPARE(b.at("stop_token_ids"), json({1, 107}));
    VERIFY(!b.contains("top_k"));  // engine 0 = no cut; vLLM would read 0 differently in old versions
    VERIFY(b.dump().find("sk-test-123") == std::string::npos);
  }
  COMPARE(seeds.size(), size_t{6});
  for (const auto& a : server.authorizations()) COMPARE(a, std::string("Bearer sk-test-123"));
}

TPT_TEST(openai_sampler, chat_api_sends_the_user_turn_and_reads_the_message) {
  httplib::Server server;
  std::vector<json> bodies;
  std::mutex mutex;
  server.Post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
    const json body = json::parse(req.body);
    {
      std::lock_guard<std::mutex> lock(mutex);
      bodies.push_back(body);
    }
    const json answer = {{"choices", {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", "4"}}},
                                        {"finish_reason", "length"}}}}};
    res.set_content(answer.dump(), "application/json");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  FixedEndpoint endpoint("http://127.0.0.1:" + std::to_string(port));
  auto settings = fast_settings();
  settings.chat = true;
  settings.count_tokens = [](const std::string& text) { return static_cast<int64_t>(text.size()) * 10; };
  OpenAiSampler sampler(endpoint, settings);
  Collected got;
  const bool finished = sampler.sample(requests(2), sampling(), got.sink(), {}, {});
  server.stop();
  thread.join();
  VERIFY(finished);
  COMPARE(got.by_request.size(), size_t{2});
  COMPARE(got.by_request.at(0).text, std::string("4"));
  VERIFY(got.by_request.at(0).finish_reason == FinishReason::Length);
  COMPARE(got.by_request.at(0).token_count, int64_t{10});  // no usage block: counted by the tokenizer
  COMPARE(bodies.at(0).at("messages"), json::parse(R"([{"role": "user", "content": "Question: 2+2?"}])"));
  VERIFY(!bodies.at(0).contains("prompt"));
}

TPT_TEST(openai_sampler, finish_reasons_map_to_length_stop_string_and_end_of_turn) {
  ScriptedServer server([](const json& body, int, httplib::Response& res) {
    const uint64_t seed = body.at("seed").get<uint64_t>();
    if (seed == 1000) answer_well(body, res, "length");
    else if (seed == 1001) answer_well(body, res, "stop", "\nQuestion:");  // vLLM: the stop string matched
    else answer_well(body, res, "stop", 107);  // vLLM: a stop token id
  });
  FixedEndpoint endpoint(server.url());
  OpenAiSampler sampler(endpoint, fast_settings());
  Collected got;
  VERIFY(sampler.sample(requests(3), sampling(), got.sink(), {}, {}));
  VERIFY(got.by_request.at(0).finish_reason == FinishReason::Length);
  VERIFY(got.by_request.at(1).finish_reason == FinishReason::StopString);
  VERIFY(got.by_request.at(2).finish_reason == FinishReason::Eos);
}

TPT_TEST(openai_sampler, faults_are_retried_and_every_sample_arrives_exactly_once) {
  // Each request meets one fault on its first attempt, then a good answer.
  ScriptedServer server([](const json& body, int attempt, httplib::Response& res) {
    const uint64_t seed = body.at("seed").get<uint64_t>();
    if (attempt > 0) return answer_well(body, res);
    switch (seed % 6) {
      case 0: res.status = 500; res.set_content(R"({"error": {"message": "engine crashed"}})", "application/json"); return;
      case 1: res.status = 429; res.set_header("Retry-After", "0"); res.set_content("slow down", "text/plain"); return;
      case 2:  // the connection drops halfway through the answer
        res.set_content_provider(1000, "application/json",
                                 [](size_t, size_t, httplib::DataSink& sink) {
                                   sink.write("{\"choices\": [", 13);
                                   return false;
                                 });
        return;
      case 3: res.set_content("{\"choices\": [{\"text\": \"unterminated", "application/json"); return;
      case 4: std::this_thread::sleep_for(std::chrono::milliseconds(1500)); return answer_well(body, res);  // past the timeout
      default: res.status = 503; return;
    }
  });
  FixedEndpoint endpoint(server.url());
  auto settings = fast_settings();
  settings.request_timeout_s = 0.7;
  OpenAiSampler sampler(endpoint, settings);
  const auto reqs = requests(18);
  Collected got;
  int64_t last_done = 0;
  VERIFY(sampler.sample(reqs, sampling(), got.sink(), [&](const tpt::think::SamplingProgress& p) { last_done = p.samples_done; }, {}));
  COMPARE(got.by_request.size(), reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) COMPARE(got.by_request.at(i).text, text_for(reqs[i].seed));
  COMPARE(last_done, int64_t{18});
  COMPARE(server.bodies().size(), size_t{36});  // each request exactly twice: one fault, one answer
  // Answers came back out of order (the slow ones last); the journal still gets request order,
  // the order Prune and Train read it in.
  std::vector<size_t> in_order(reqs.size());
  for (size_t i = 0; i < in_order.size(); ++i) in_order[i] = i;
  COMPARE(got.order, in_order);
}

TPT_TEST(openai_sampler, a_bad_request_fails_at_once_naming_the_request_and_keeps_what_arrived) {
  ScriptedServer server([](const json& body, int, httplib::Response& res) {
    if (body.at("seed").get<uint64_t>() == 1002) {
      res.status = 400;
      res.set_content(R"({"error": {"message": "max_tokens is too large: 64 > 32", "type": "invalid_request_error", "param": "max_tokens"}})",
                      "application/json");
      return;
    }
    answer_well(body, res);
  });
  FixedEndpoint endpoint(server.url());
  auto settings = fast_settings();
  settings.concurrency = 1;  // in order: requests 0 and 1 answered, 2 refused, 3 and 4 never sent
  OpenAiSampler sampler(endpoint, settings);
  Collected got;
  VERIFY_THROWS_WITH(sampler.sample(requests(5), sampling(), got.sink(), {}, {}),
                     "problem p2, sample 0 (seed 1002) to " + server.url() + "/v1/completions: HTTP 400: max_tokens is too large");
  COMPARE(got.by_request.size(), size_t{2});
  VERIFY(got.by_request.count(0) && got.by_request.count(1));
  COMPARE(server.bodies().size(), size_t{3});
}

TPT_TEST(openai_sampler, a_request_out_of_retries_fails_with_the_last_problem) {
  ScriptedServer server([](const json&, int, httplib::Response& res) {
    res.status = 503;
    res.set_content(R"({"error": {"message": "model is loading"}})", "application/json");
  });
  FixedEndpoint endpoint(server.url());
  auto settings = fast_settings();
  settings.concurrency = 1;
  OpenAiSampler sampler(endpoint, settings);
  Collected got;
  VERIFY_THROWS_WITH(sampler.sample(requests(2), sampling(), got.sink(), {}, {}),
                     "HTTP 503: model is loading (gave up after 2 retries)");
  COMPARE(server.bodies().size(), size_t{3});  // the first try and two retries
  VERIFY(got.by_request.empty());
}

TPT_TEST(openai_sampler, an_unreachable_server_is_named_with_the_url) {
  const int port = tpt::io::free_local_port();  // nothing listens there
  FixedEndpoint endpoint("http://127.0.0.1:" + std::to_string(port));
  auto settings = fast_settings();
  settings.retries = 1;
  OpenAiSampler sampler(endpoint, settings);
  Collected got;
  VERIFY_THROWS_WITH(sampler.sample(requests(1), sampling(), got.sink(), {}, {}),
                     "127.0.0.1:" + std::to_string(port) + "/v1/completions");
  VERIFY_THROWS_WITH(sampler.sample(requests(1), sampling(), got.sink(), {}, {}),
                     "running again sends only the missing requests");
}

TPT_TEST(openai_sampler, cancel_stops_sending_and_hands_over_only_whole_samples) {
  std::atomic<bool> cancel{false};
  std::atomic<int> answered{0};
  ScriptedServer server([&](const json& body, int, httplib::Response& res) {
    if (++answered == 5) cancel = true;
    answer_well(body, res);
  });
  FixedEndpoint endpoint(server.url());
  auto settings = fast_settings();
  settings.concurrency = 1;
  OpenAiSampler sampler(endpoint, settings);
  Collected got;
  tpt::WorkControl control;
  control.cancel = &cancel;
  control.wait_or_stop = [&] { return !cancel.load(); };
  VERIFY(!sampler.sample(requests(40), sampling(), got.sink(), {}, control));
  VERIFY(got.by_request.size() >= 4 && got.by_request.size() <= 6);
  for (const auto& [index, sample] : got.by_request) COMPARE(sample.text, text_for(1000 + index));
  VERIFY(server.bodies().size() < 10);
}

TPT_TEST(openai_sampler, answers_wait_for_a_slow_first_request_and_cancel_still_ends_the_wait) {
  // Request 0 takes 1.5 s; the others answer at once and pile up behind it (the journal gets
  // request order), until the window of 64 is full and the workers wait.
  std::atomic<bool> cancel{false};
  ScriptedServer server([&](const json& body, int, httplib::Response& res) {
    if (body.at("seed").get<uint64_t>() == 1000) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    answer_well(body, res);
  });
  FixedEndpoint endpoint(server.url());
  auto settings = fast_settings();
  settings.concurrency = 2;
  OpenAiSampler sampler(endpoint, settings);
  Collected got;
  tpt::WorkControl control;
  control.cancel = &cancel;
  control.wait_or_stop = [&] { return !cancel.load(); };
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    cancel = true;
  });
  const auto started = std::chrono::steady_clock::now();
  const bool finished = sampler.sample(requests(200), sampling(), got.sink(), {}, control);
  canceller.join();
  VERIFY(!finished);
  VERIFY(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
  // Nothing could be handed over before request 0, which the cancel cut short.
  VERIFY(got.by_request.empty());
  VERIFY(server.bodies().size() <= 66);  // the window held the rest back
}

// ---- launched servers --------------------------------------------------------------------

namespace {

tpt::run::ServerJob job_in(const std::string& dir) {
  tpt::run::ServerJob job;
  job.model_dir = dir + "/model folder";
  job.name = "round-1";
  job.seed = 7;
  job.log_file = dir + "/logs/server-round-1-think.log";
  return job;
}

}  // namespace

TPT_TEST(model_server, launch_placeholders_are_filled_and_quoted) {
  auto job = job_in("/data/x");
  COMPARE(tpt::run::expand_launch_command("srv {model} --port {port} --host {host} --name {name} --seed {seed}", job,
                                          "127.0.0.1", 8123),
          std::string("srv '/data/x/model folder' --port 8123 --host 127.0.0.1 --name 'round-1' --seed 7"));
  VERIFY_CONTAINS(tpt::config::launch_template("vllm"), "--generation-config vllm");
  VERIFY_CONTAINS(tpt::config::launch_template("sglang"), "--sampling-defaults openai");
}

TPT_TEST(model_server, a_server_that_exits_before_it_is_ready_fails_with_its_log) {
  const std::string dir = tpt::testing::temp_dir();
  tpt::config::SamplerConfig config;
  config.backend = tpt::config::SamplerBackend::OpenAi;
  config.launch = "echo 'CUDA out of memory on {model}' >&2; exit 3 # {port}";
  std::vector<std::string> states;
  VERIFY_THROWS_WITH(tpt::run::ModelServer::open(config, job_in(dir), [&](const tpt::run::ServerStatus& s) { states.push_back(s.state); }, {}, nullptr),
                     "exited with status 3 before it was ready");
  try {
    tpt::run::ModelServer::open(config, job_in(dir), {}, {}, nullptr);
    TPT_FAIL("the server that exits at once was taken as started");
  } catch (const tpt::Error& e) {
    VERIFY_CONTAINS(e.what(), "CUDA out of memory on " + dir + "/model folder");
    VERIFY_CONTAINS(e.what(), dir + "/logs/server-round-1-think.log");
  }
  VERIFY(!states.empty() && states.front() == "starting" && states.back() == "failed");
}

TPT_TEST(model_server, a_server_printing_while_it_loads_is_reported_as_starting) {
  // vLLM prints for minutes before it answers /health: those lines must not read as "ready".
  const std::string dir = tpt::testing::temp_dir();
  tpt::config::SamplerConfig config;
  config.backend = tpt::config::SamplerBackend::OpenAi;
  config.launch = "echo 'loading weights'; sleep 60 # {model} {port}";
  config.startup_timeout_s = 1.5;
  std::vector<tpt::run::ServerStatus> reports;
  VERIFY_THROWS_WITH(tpt::run::ModelServer::open(config, job_in(dir), [&](const tpt::run::ServerStatus& s) { reports.push_back(s); }, {}, nullptr),
                     "startup_timeout_s");
  bool printed = false;
  for (const auto& r : reports) {
    VERIFY(r.state != "ready");
    for (const auto& line : r.log_lines)
      if (line == "loading weights") {
        printed = true;
        VERIFY(r.state == "starting" || r.state == "failed");
      }
  }
  VERIFY(printed);
}

TPT_TEST(model_server, a_server_that_never_answers_times_out_and_is_stopped) {
  const std::string dir = tpt::testing::temp_dir();
  tpt::config::SamplerConfig config;
  config.backend = tpt::config::SamplerBackend::OpenAi;
  config.launch = "sleep 60 # {model} {port}";
  config.startup_timeout_s = 1.0;
  const auto started = std::chrono::steady_clock::now();
  VERIFY_THROWS_WITH(tpt::run::ModelServer::open(config, job_in(dir), {}, {}, nullptr), "startup_timeout_s = 1 s");
  VERIFY(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));  // stopped, not waited for
}

TPT_TEST(model_server, an_attached_server_that_is_not_running_is_named) {
  tpt::config::SamplerConfig config;
  config.backend = tpt::config::SamplerBackend::OpenAi;
  const int port = tpt::io::free_local_port();
  config.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/";
  VERIFY_THROWS_WITH(tpt::run::ModelServer::open(config, job_in(tpt::testing::temp_dir()), {}, {}, nullptr),
                     "cannot reach the server at http://127.0.0.1:" + std::to_string(port) + "/v1/models");
}

TPT_TEST(model_server, the_api_key_comes_from_the_named_variable_only) {
  tpt::config::SamplerConfig config;
  config.api_key_env = "TPT_TEST_UNSET_KEY_VARIABLE";
  VERIFY_THROWS_WITH(tpt::run::ModelServer::api_key(config), "TPT_TEST_UNSET_KEY_VARIABLE is not set");
  ::setenv("TPT_TEST_KEY_VARIABLE", "sk-abc", 1);
  config.api_key_env = "TPT_TEST_KEY_VARIABLE";
  COMPARE(tpt::run::ModelServer::api_key(config), std::string("sk-abc"));
  json doc = json::parse(R"({"schema_version": 1, "dataset": {"train": "a", "test": "b"}, "model": {"path": "m"},
                             "sampler": {"backend": "openai", "url": "http://x:8000", "api_key_env": "sk-abc123-xyz!"}})");
  VERIFY_THROWS_WITH(tpt::config::ExperimentConfig::from_json(doc), "sampler.api_key_env: the name of an environment variable");
}

TPT_TEST(config, sampler_backend_openai_needs_exactly_one_of_url_and_launch) {
  const auto issues = [](const char* sampler) {
    json doc = json::parse(R"({"schema_version": 1, "dataset": {"train": "a", "test": "b"}, "model": {"path": "m"}})");
    doc["sampler"] = json::parse(sampler);
    std::string all;
    for (const auto& i : tpt::config::ExperimentConfig::validate(doc)) all += i.path + ": " + i.message + "\n";
    return all;
  };
  VERIFY_CONTAINS(issues(R"({"backend": "openai"})"), "sampler.url: backend \"openai\" needs exactly one of");
  VERIFY_CONTAINS(issues(R"({"backend": "openai", "url": "http://a", "launch": "vllm"})"), "needs exactly one of");
  VERIFY_CONTAINS(issues(R"({"backend": "openai", "url": "gpu-box:8000"})"), "sampler.url: must start with http://");
  VERIFY_CONTAINS(issues(R"({"backend": "openai", "launch": "my-server --port {port}"})"), "must contain {model}");
  VERIFY_CONTAINS(issues(R"({"backend": "vllm"})"), "sampler.backend");
  VERIFY_CONTAINS(issues(R"({"backend": "openai", "launch": "vllm", "concurency": 4})"), "sampler.concurency: unknown key");
  COMPARE(issues(R"({"backend": "openai", "launch": "tpt-serve", "api": "chat", "concurrency": 64})"), std::string());
}

TPT_TEST(model_server, a_lora_round_on_vllm_loads_its_adapter_into_a_server_on_the_base_model) {
  // A stand-in `vllm` on PATH: it records how it was started and where it should listen; the
  // test then answers on that port as vLLM would, adapter endpoint included.
  const std::string dir = tpt::testing::temp_dir();
  fs::create_directories(dir + "/bin");
  {
    std::ofstream script(dir + "/bin/vllm");
    script << "#!/bin/sh\n"
              "echo \"$@\" > " << dir << "/args\n"
              "echo \"$VLLM_ALLOW_RUNTIME_LORA_UPDATING\" > " << dir << "/env\n"
              "while [ $# -gt 0 ]; do if [ \"$1\" = --port ]; then echo \"$2\" > " << dir << "/port.tmp; mv " << dir
           << "/port.tmp " << dir << "/port; fi; shift; done\n"
              "exec sleep 60\n";
  }
  fs::permissions(dir + "/bin/vllm", fs::perms::owner_all);
  const std::string path = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";
  ::setenv("PATH", (dir + "/bin:" + path).c_str(), 1);

  httplib::Server vllm;
  json adapter_request;
  vllm.Get("/health", [](const httplib::Request&, httplib::Response& res) { res.set_content("", "text/plain"); });
  vllm.Get("/v1/models", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"object": "list", "data": [{"id": "round-2-base", "object": "model"}]})", "application/json");
  });
  vllm.Get("/version", [](const httplib::Request&, httplib::Response& res) { res.set_content(R"({"version": "0.6.3"})", "application/json"); });
  vllm.Post("/v1/load_lora_adapter", [&](const httplib::Request& req, httplib::Response& res) {
    adapter_request = json::parse(req.body);
    res.set_content("Success: LoRA adapter 'round-2' added successfully.", "text/plain");
  });
  std::thread answering([&] {
    for (int i = 0; i < 300 && !fs::exists(dir + "/port"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    vllm.listen("127.0.0.1", std::stoi(tpt::testing::slurp(dir + "/port")));
  });

  tpt::config::SamplerConfig config;
  config.backend = tpt::config::SamplerBackend::OpenAi;
  config.launch = "vllm";
  auto job = job_in(dir);
  job.name = "round-2";
  job.adapter_dir = dir + "/models/round-2/adapter";
  job.lora_rank = 8;
  std::string model_name;
  {
    auto server = tpt::run::ModelServer::open(config, job, {}, {}, nullptr);
    VERIFY(server != nullptr);
    model_name = server->origin().model_name;
    COMPARE(server->origin().server_version, std::string("0.6.3"));
  }
  vllm.stop();
  answering.join();
  ::setenv("PATH", path.c_str(), 1);
  COMPARE(model_name, std::string("round-2"));
  COMPARE(adapter_request, json({{"lora_name", "round-2"}, {"lora_path", dir + "/models/round-2/adapter"}}));
  const std::string args = tpt::testing::slurp(dir + "/args");
  VERIFY_CONTAINS(args, "serve " + dir + "/model folder --host 127.0.0.1 --port ");
  VERIFY_CONTAINS(args, "--served-model-name round-2-base --seed 7 --generation-config vllm --enable-lora --max-lora-rank 8");
  COMPARE(tpt::testing::slurp(dir + "/env"), std::string("True\n"));
}

TPT_TEST(model_server, a_launched_server_that_dies_mid_phase_is_started_again_and_nothing_is_lost) {
  const std::string dir = tpt::testing::temp_dir();
  const std::string model = tpt::testing::write_tiny_model(dir + "/tiny-model");
  const auto tokenizer = tpt::text::load_model_tokenizer(model);
  auto prompt = std::make_shared<tpt::think::Prompt>();
  prompt->ids = tokenizer.tokenizer->encode("Question: 3 + 4?\nSolution:");
  std::vector<SampleRequest> reqs;
  for (int i = 0; i < 24; ++i) reqs.push_back({prompt, 500 + static_cast<uint64_t>(i), "sample " + std::to_string(i)});
  tpt::think::SamplingSettings settings;
  settings.temperature = 0.8;
  settings.max_new_tokens = 12;

  tpt::config::SamplerConfig config;
  config.backend = tpt::config::SamplerBackend::OpenAi;
  config.launch = "tpt-serve";
  auto job = job_in(dir);
  job.model_dir = model;
  std::vector<std::string> states, notes;
  auto server = tpt::run::ModelServer::open(
      config, job, [&](const tpt::run::ServerStatus& s) { if (s.state_changed) states.push_back(s.state); },
      [&](const std::string&, const std::string& message) { notes.push_back(message); }, nullptr);
  auto openai = fast_settings();
  // A killed process takes a moment to be gone: until then it counts as alive and a failed
  // request is retried, so the retries must outlast its exit.
  openai.retries = 6;
  openai.backoff_initial_s = 0.1;
  openai.backoff_max_s = 1.0;
  openai.model_name = server->origin().model_name;
  openai.stop_token_ids = tokenizer.stop_ids;
  OpenAiSampler sampler(*server, openai);
  Collected got;
  const auto sink = got.sink();
  bool killed = false;
  VERIFY(sampler.sample(reqs, settings, [&](const std::vector<Sample>& samples) {
    sink(samples);
    if (!killed) {
      const pid_t first = server->pid();
      VERIFY(first > 0);
      ::kill(first, SIGKILL);  // as the OOM killer would
      killed = true;
    }
  }, {}, {}));
  COMPARE(got.by_request.size(), reqs.size());
  VERIFY(std::find(states.begin(), states.end(), "restarting") != states.end());
  COMPARE(states.back(), std::string("ready"));
  bool told = false;
  for (const auto& n : notes) told |= n.find("killed by signal 9") != std::string::npos && n.find("starting it again") != std::string::npos;
  VERIFY(told);

  // What the engine draws in process for the same requests.
  tpt::model::CausalLm lm = tpt::model::load_model(model);
  lm->eval();
  tpt::think::EngineSampler engine(lm, tokenizer);
  Collected expected;
  VERIFY(engine.sample(reqs, settings, expected.sink(), {}, {}));
  for (size_t i = 0; i < reqs.size(); ++i) {
    COMPARE(got.by_request.at(i).text, expected.by_request.at(i).text);
    COMPARE(got.by_request.at(i).token_count, expected.by_request.at(i).token_count);
  }
}

// ---- whole runs ----------------------------------------------------------------------------

namespace {

using tpt::testing::tpt_run;

const std::string& tiny_model() {
  static const std::string folder = tpt::testing::write_tiny_model(tpt::testing::temp_dir() + "/tiny-model");
  return folder;
}

std::string run_experiment(const json& config, const std::string& prefix = "") {
  const std::string dir = tpt::testing::write_tiny_experiment(tpt::testing::temp_dir() + "/experiment", config);
  const auto r = tpt_run("-q run " + dir, prefix);
  if (r.status != 0) TPT_FAIL("tpt run failed (" + std::to_string(r.status) + "): " + r.err);
  return dir;
}

json launched_config() {
  json config = tpt::testing::tiny_experiment_config(tiny_model());
  config["sampler"] = {{"backend", "openai"}, {"launch", "tpt-serve"}, {"concurrency", 8}};
  return config;
}

const tpt::testing::Snapshot& engine_run() {
  static const tpt::testing::Snapshot s = tpt::testing::snapshot(run_experiment(tpt::testing::tiny_experiment_config(tiny_model())));
  return s;
}

// `tpt serve` processes still running on a model of the experiment in `dir` (its base model, the
// tiny model, or one of its rounds' folders): a killed run must leave none.
int servers_left(const std::string& dir) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string cmdline = tpt::testing::slurp(entry.path().string() + "/cmdline");
    if (cmdline.find("serve") == std::string::npos || cmdline.find("--model") == std::string::npos) continue;
    if (cmdline.find(dir) != std::string::npos || cmdline.find(tiny_model()) != std::string::npos) ++count;
  }
  return count;
}

}  // namespace

TPT_TEST(openai_run, a_run_on_a_launched_tpt_serve_is_the_engine_run_exactly) {
  const std::string dir = run_experiment(launched_config());
  // Every sample text, token count and finish reason, every decision, answer, metric, training
  // step and trained weight.
  tpt::testing::compare_snapshots(tpt::testing::snapshot(dir), engine_run());
  const auto status = tpt_run("status " + dir + " --json");
  COMPARE(status.status, 0);
  const json rounds = json::parse(status.out).at("rounds");
  COMPARE(rounds.size(), size_t{3});
  for (const auto& round : rounds) {
    const json& samplers = round.at("samplers");
    VERIFY(!samplers.empty());
    for (const auto& s : samplers) {
      COMPARE(s.at("backend").get<std::string>(), std::string("openai"));
      VERIFY_CONTAINS(s.at("launch_command").get<std::string>(), "serve --model");
      VERIFY_CONTAINS(s.at("url").get<std::string>(), "http://127.0.0.1:");
      VERIFY(!s.at("server_version").get<std::string>().empty());
    }
  }
  COMPARE(rounds[0].at("samplers")[0].at("phase").get<std::string>(), std::string("eval"));
  COMPARE(rounds[1].at("samplers")[0].at("phase").get<std::string>(), std::string("think"));
  VERIFY_CONTAINS(tpt_run("status " + dir).out, "round 1 think: openai http://127.0.0.1:");
  // One server per model: round N's Improve and round N+1's Think share one (and its log).
  VERIFY(fs::exists(dir + "/logs/server-round-0-eval.log"));
  VERIFY(fs::exists(dir + "/logs/server-round-1-eval.log"));
  VERIFY(!fs::exists(dir + "/logs/server-round-1-think.log"));
  COMPARE(servers_left(dir), 0);
}

TPT_TEST(openai_run, a_run_killed_during_a_remote_think_resumes_identically) {
  const std::string dir = tpt::testing::write_tiny_experiment(tpt::testing::temp_dir() + "/experiment", launched_config());
  const auto killed = tpt_run("-q run " + dir, "TPT_CRASH_AT=think.stored@2");
  COMPARE(killed.status, 128 + 9);
  // The kernel stops the launched server with its runner (PR_SET_PDEATHSIG).
  for (int i = 0; i < 100 && servers_left(dir) > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  COMPARE(servers_left(dir), 0);
  const auto resumed = tpt_run("-q run " + dir);
  if (resumed.status != 0) TPT_FAIL("the resumed run failed: " + resumed.err);
  tpt::testing::compare_snapshots(tpt::testing::snapshot(dir), engine_run());
}

TPT_TEST(openai_run, an_attached_server_scores_the_base_model_as_the_engine_does) {
  // Round 0 only: an attached server serves one model folder, the base model here.
  json engine = tpt::testing::tiny_experiment_config(tiny_model());
  engine["rounds"] = 0;
  const std::string engine_dir = run_experiment(engine);
  const std::string log = tpt::testing::temp_dir() + "/attached-server.log";
  const int port = tpt::io::free_local_port();
  tpt::io::ChildProcess server("'" TPT_CLI_PATH "' serve --model '" + tiny_model() + "' --port " + std::to_string(port), log);
  json attached = engine;
  attached["sampler"] = {{"backend", "openai"}, {"url", "http://127.0.0.1:" + std::to_string(port)}};
  // Waits for the server the way a user would: retries while it loads.
  attached["sampler"]["retries"] = 20;
  std::string dir;
  for (int i = 0; i < 100; ++i) {
    httplib::Client probe("127.0.0.1", port);
    if (auto r = probe.Get("/health"); r && r->status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  dir = run_experiment(attached);
  const auto expected = tpt::testing::snapshot(engine_dir);
  const auto got = tpt::testing::snapshot(dir);
  tpt::testing::compare_lines(got.answers, expected.answers, "evaluation answers");
  tpt::testing::compare_lines(got.metrics, expected.metrics, "metrics");
  VERIFY_CONTAINS(tpt_run("status " + dir).out, "round 0 eval: openai http://127.0.0.1:" + std::to_string(port));
  VERIFY_CONTAINS(tpt_run("status " + dir).out, "attached");
}

TPT_TEST(openai_run, the_quick_demo_through_tpt_serve_is_the_engine_demo_exactly) {
  // The quick demo's model, prompt and settings on a slice of its problems (demo_test_support.h),
  // with no pruning: every round trains, so each round's server serves a new model.
  const std::string served_dir = tpt::testing::expect_small_quick_demo_same_both_ways(
      [](tpt::demo::DemoOptions& o) { o.served = true; });
  VERIFY_CONTAINS(tpt_run("status " + served_dir).out, "round 2 eval: openai http://127.0.0.1:");
}
