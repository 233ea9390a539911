#include "run/model_server.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/http_client.h"
#include "io/json_parse.h"

namespace fs = std::filesystem;

namespace tpt::run {

namespace {

constexpr const char* kHost = "127.0.0.1";
constexpr int kLogTailLines = 30;
constexpr int kMaxRestarts = 3;  // per server, that is per phase

std::string trim_slashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  // A URL given with its /v1 suffix (as OpenAI clients take it) means the same server.
  if (url.size() >= 3 && url.compare(url.size() - 3, 3, "/v1") == 0) url.resize(url.size() - 3);
  return url;
}

}  // namespace

bool serves_lora_adapters(const config::ExperimentConfig& config) {
  return config.sampler.backend == config::SamplerBackend::OpenAi &&
         (config.sampler.launch == "vllm" || config.sampler.launch == "sglang") &&
         config.train.method == config::TrainMethod::Lora && config.train.init == config::TrainInit::Base;
}

std::string expand_launch_command(const std::string& launch_template, const ServerJob& job, const std::string& host,
                                  int port) {
  // With an adapter the base model is served under a name of its own: the adapter takes `name`.
  const std::string served = job.adapter_dir.empty() ? job.name : job.name + "-base";
  std::string targets;
  for (const auto& t : job.lora_targets) targets += (targets.empty() ? "" : " ") + t;
  return io::fill_placeholders(launch_template, {{"{model}", io::shell_quote(job.model_dir)},
                                                 {"{port}", std::to_string(port)},
                                                 {"{host}", host},
                                                 {"{name}", io::shell_quote(served)},
                                                 {"{lora_rank}", std::to_string(job.lora_rank)},
                                                 {"{lora_targets}", targets},
                                                 {"{seed}", std::to_string(job.seed)},
                                                 {"{tpt}", io::shell_quote(io::tpt_program())}});
}

std::string ModelServer::api_key(const config::SamplerConfig& config) {
  if (config.api_key_env.empty()) return "";
  const char* value = std::getenv(config.api_key_env.c_str());
  if (!value || !*value)
    throw Error("sampler.api_key_env: the environment variable " + config.api_key_env +
                " is not set (it should hold the server's API key)");
  return value;
}

ModelServer::ModelServer(const config::SamplerConfig& config, ServerJob job, StatusFn on_status, LogFn log)
    : config_(config), job_(std::move(job)), on_status_(std::move(on_status)), log_(std::move(log)) {
  origin_.backend = "openai";
  template_ = config.launch.empty() ? "" : config::launch_template(config.launch);
  // Runtime adapter loading must be switched on when the server starts.
  if (!job_.adapter_dir.empty() && config.launch == "vllm") template_ += " --enable-lora --max-lora-rank {lora_rank}";
  if (!job_.adapter_dir.empty() && config.launch == "sglang")
    template_ += " --enable-lora --max-lora-rank {lora_rank} --lora-target-modules {lora_targets}";
  // The log is appended to across runs: forward only what this one adds.
  if (!job_.log_file.empty()) log_follower_ = std::make_unique<io::LogFollower>(job_.log_file);
}

std::unique_ptr<ModelServer> ModelServer::open(const config::SamplerConfig& config, const ServerJob& job,
                                               const StatusFn& on_status, const LogFn& log,
                                               const std::atomic<bool>* cancel) {
  std::unique_ptr<ModelServer> server(new ModelServer(config, job, on_status, log));
  if (config.launch.empty()) {
    server->url_ = trim_slashes(config.url);
    server->origin_.url = server->url_;
    server->report("starting");
  } else if (!server->start(cancel)) {
    return nullptr;
  }
  server->query_identity();
  if (!job.adapter_dir.empty()) server->load_adapter();
  server->report("ready");
  server->cancel_ = cancel;
  server->forward();
  return server;
}

ModelServer::~ModelServer() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!child_) return;
  child_->stop();
  child_.reset();
  // Only the caller's thread is left: report directly.
  ServerStatus status{job_.round, job_.phase, "stopped", url_, origin_.launch_command, origin_.server_version, {}};
  if (on_status_) on_status_(status);
}

pid_t ModelServer::pid() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return child_ ? child_->pid() : 0;
}

std::string ModelServer::base_url() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return url_;
}

bool ModelServer::start(const std::atomic<bool>* cancel) {
  std::unique_lock<std::mutex> lock(mutex_);
  const int port = io::free_local_port();
  const std::string command = expand_launch_command(template_, job_, kHost, port);
  url_ = "http://" + std::string(kHost) + ":" + std::to_string(port);
  origin_.url = url_;
  origin_.launch_command = command;
  std::error_code ec;
  fs::create_directories(fs::path(job_.log_file).parent_path(), ec);
  {
    std::ofstream header(job_.log_file, std::ios::app);
    header << "=== tpt: starting `" << command << "`\n";
  }
  std::vector<std::string> environment;
  if (!job_.adapter_dir.empty() && config_.launch == "vllm") environment.push_back("VLLM_ALLOW_RUNTIME_LORA_UPDATING=True");
  child_ = std::make_unique<io::ChildProcess>(command, job_.log_file, environment);
  lock.unlock();
  report("starting");

  io::HttpClient client;
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + std::chrono::duration<double>(config_.startup_timeout_s);
  for (;;) {
    if (cancel && cancel->load()) {
      std::lock_guard<std::mutex> relock(mutex_);
      child_->stop();
      child_.reset();
      return false;
    }
    for (const char* path : {"/health", "/v1/models"}) {
      if (client.get(url_ + path, 5.0).status == 200) {
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        note("info", "server ready at " + url_ + " after " + std::to_string(static_cast<int>(seconds)) + " s");
        return true;
      }
    }
    std::string failure;
    {
      std::lock_guard<std::mutex> relock(mutex_);
      if (!child_->running())
        failure = "the server " + child_->exit_description() + " before it was ready";
      else if (std::chrono::steady_clock::now() > deadline)
        failure = "the server did not answer " + url_ + "/health within sampler.startup_timeout_s = " +
                  std::to_string(static_cast<int>(config_.startup_timeout_s)) + " s";
      if (!failure.empty()) {
        child_->stop();
        child_.reset();
      }
    }
    if (!failure.empty()) {
      report("failed");
      forward();
      throw Error(failure + ": `" + command + "`\nlast lines of " + job_.log_file + ":\n" +
                  io::tail_lines(job_.log_file, kLogTailLines));
    }
    forward();
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

void ModelServer::query_identity() {
  io::HttpClient client;
  std::vector<std::string> headers;
  const std::string key = api_key(config_);
  if (!key.empty()) headers.push_back("Authorization: Bearer " + key);
  client.set_headers(headers);
  const io::HttpResponse models = client.get(url_ + "/v1/models", 30.0);
  if (!models.ok()) {
    const std::string why = models.transport_error.empty() ? "HTTP " + std::to_string(models.status)
                                                           : models.transport_error;
    throw Error("sampler.url: cannot reach the server at " + url_ + "/v1/models: " + why +
                (config_.launch.empty() ? " (is it running? start it, then run again)" : ""));
  }
  origin_.model_name = config_.model_name;
  if (origin_.model_name.empty()) {
    if (!config_.launch.empty()) {
      origin_.model_name = job_.name;
    } else {
      const auto doc = io::parse_json_or_discarded(models.body);
      if (doc.is_object() && doc.contains("data") && doc["data"].is_array() && !doc["data"].empty() &&
          doc["data"][0].is_object() && doc["data"][0].contains("id") && doc["data"][0]["id"].is_string())
        origin_.model_name = doc["data"][0]["id"].get<std::string>();
      else
        throw Error("sampler.model_name: the server at " + url_ +
                    " lists no model in /v1/models; name the model in sampler.model_name");
    }
  }
  const io::HttpResponse version = client.get(url_ + "/version", 10.0);
  if (version.ok()) {
    const auto doc = io::parse_json_or_discarded(version.body);
    if (doc.is_object() && doc.contains("version") && doc["version"].is_string())
      origin_.server_version = doc["version"].get<std::string>();
  }
}

void ModelServer::load_adapter() {
  // vLLM: POST /v1/load_lora_adapter; SGLang: POST /load_lora_adapter; the same body.
  const std::string path = config_.launch == "sglang" ? "/load_lora_adapter" : "/v1/load_lora_adapter";
  io::HttpClient client;
  const std::string body = nlohmann::json{{"lora_name", job_.name}, {"lora_path", job_.adapter_dir}}.dump();
  const io::HttpResponse response = client.post_json(url_ + path, body, 600.0);
  if (!response.ok())
    throw Error("cannot load the LoRA adapter " + job_.adapter_dir + " into the server at " + url_ + path + ": " +
                (response.transport_error.empty() ? "HTTP " + std::to_string(response.status) + ": " + response.body
                                                  : response.transport_error));
  origin_.model_name = job_.name;
  note("info", "loaded the LoRA adapter " + job_.adapter_dir + " as \"" + job_.name + "\"");
}

void ModelServer::retarget(int round, Phase phase) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_.round = round;
    job_.phase = phase;
    // Watchers learn that the server now serves this phase (the Run panel's badge names it).
    pending_states_.push_back(last_state_.empty() ? "ready" : last_state_);
  }
  forward();
}

bool ModelServer::recover(const std::string& problem) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (config_.launch.empty()) return false;  // attached: not ours to restart
  const int seen = restarts_;
  if (!restart_requested_) {
    if (child_ && child_->running()) return false;  // alive: the request failed for another reason
    // A server that dies on every start is broken, not unlucky.
    if (restarts_ >= kMaxRestarts)
      throw Error("the server at " + url_ + " was started again " + std::to_string(kMaxRestarts) +
                  " times in this phase and keeps failing; last lines of " + job_.log_file + ":\n" +
                  io::tail_lines(job_.log_file, kLogTailLines));
    pending_notes_.push_back({"warning", "the server " + (child_ ? child_->exit_description() : std::string("is gone")) +
                                             " (" + problem + "); starting it again. Last lines of " + job_.log_file +
                                             ":\n" + io::tail_lines(job_.log_file, kLogTailLines)});
    pending_states_.push_back("restarting");
    restart_requested_ = true;
  }
  restarted_.wait(lock, [&] { return restarts_ != seen; });
  if (!restart_error_.empty()) throw Error(restart_error_);
  return true;
}

void ModelServer::report(const std::string& state) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_states_.push_back(state);
}

void ModelServer::note(const std::string& level, const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_notes_.push_back({level, message});
}

void ModelServer::poll() {
  // Only the thread that opened the server gets here (see OpenAiEndpoint::poll); recover() on
  // other threads leaves its news in pending_* and waits here for the restart.
  bool restart = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    restart = restart_requested_;
  }
  if (restart) {
    std::string error;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (child_) child_->stop(5.0);
      child_.reset();
    }
    try {
      if (start(cancel_)) {
        if (!job_.adapter_dir.empty()) load_adapter();
        report("ready");
      }
      else
        error = "cancelled while the server was starting again";
    } catch (const std::exception& e) {
      error = e.what();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    restart_error_ = error;
    restart_requested_ = false;
    ++restarts_;
    restarted_.notify_all();
  }
  forward();
}

void ModelServer::forward() {
  std::vector<std::pair<std::string, std::string>> notes;
  std::vector<std::string> states;
  ServerStatus status;
  bool alive = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    alive = child_ || config_.launch.empty();
    notes.swap(pending_notes_);
    states.swap(pending_states_);
    status = {job_.round, job_.phase, "", url_, origin_.launch_command, origin_.server_version, {}};
    if (log_follower_ && !config_.launch.empty()) status.log_lines = log_follower_->new_lines();
  }
  for (const auto& [level, message] : notes)
    if (log_) log_(level, message);
  if (!on_status_) return;
  // The log lines go with the last state change, or with the current state when none changed:
  // a server still loading its model prints long before it is ready, and must not read as
  // ready then.
  if (states.empty() && !status.log_lines.empty()) {
    status.state = !alive ? "stopped" : last_state_.empty() ? "ready" : last_state_;
    status.state_changed = false;
    on_status_(status);
    return;
  }
  for (size_t i = 0; i < states.size(); ++i) {
    ServerStatus s = status;
    s.state = states[i];
    if (i + 1 < states.size()) s.log_lines.clear();
    on_status_(s);
  }
  if (!states.empty()) last_state_ = states.back();
}

}  // namespace tpt::run
