// The OpenAI-compatible server a phase samples from (sampler.backend "openai"): one that is
// already running (attach: sampler.url), or one this run starts for the phase's model and stops
// after it (launch: sampler.launch, a preset or a command template).
//
// A launched server runs in its own process group on a free port of 127.0.0.1, with its output
// in logs/server-round-N-PHASE.log in the experiment folder; it counts as ready when GET /health
// (or GET /v1/models) answers 200. When it dies mid-phase the sampler asks recover() and it is
// started again on a fresh port; the phase goes on with the samples still missing. Stopping
// sends SIGTERM to the group, then SIGKILL.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "config/experiment_config.h"
#include "io/child_process.h"
#include "run/observer.h"
#include "think/openai_sampler.h"

namespace tpt::run {

// Which backend and server produced a phase's samples (stored with the round).
struct SamplerOrigin {
  std::string backend;         // "engine", "openai"
  std::string url;             // the server's base URL (openai)
  std::string launch_command;  // the command as run (launch mode)
  std::string server_version;  // from GET /version, when the server has it
  std::string model_name;      // the requests' "model"
};

struct ServerJob {
  std::string model_dir;  // the folder the server loads
  std::string name;       // the requests' model: {name} (e.g. "round-2"), or the adapter's name
  int64_t seed = 0;       // {seed}
  std::string log_file;   // launch mode: the server's output
  int round = 0;
  Phase phase = Phase::Think;
  // LoRA rounds on vLLM or SGLang: the server runs the base model (model_dir) with LoRA
  // enabled, and this PEFT folder is loaded through its adapter endpoint under `name`.
  std::string adapter_dir;
  int lora_rank = 0;
  std::vector<std::string> lora_targets;
};

// Whether an experiment's LoRA rounds are served as adapters on the base model (launched vLLM
// or SGLang, LoRA training from the base model each round) rather than as merged folders.
bool serves_lora_adapters(const config::ExperimentConfig& config);

class ModelServer final : public think::OpenAiEndpoint {
 public:
  using StatusFn = std::function<void(const ServerStatus&)>;
  using LogFn = std::function<void(const std::string& level, const std::string& message)>;

  // Attaches to config.url or launches config.launch and waits until it is ready. Throws Error
  // (with the server's last log lines) when it does not come up; returns nullptr when `cancel`
  // was set while waiting. `on_status` and `log` are called on the caller's thread only.
  static std::unique_ptr<ModelServer> open(const config::SamplerConfig& config, const ServerJob& job,
                                           const StatusFn& on_status, const LogFn& log,
                                           const std::atomic<bool>* cancel);
  ~ModelServer() override;

  std::string base_url() const override;
  bool recover(const std::string& problem) override;
  void poll() override;

  const SamplerOrigin& origin() const { return origin_; }
  // The launched server's process id (its group's id too); 0 when attached or stopped.
  pid_t pid() const;
  // The server goes on serving the next phase (the same model): its reports name that phase,
  // starting with one saying so. Call on the thread that opened it.
  void retarget(int round, Phase phase);
  // The API key from config.api_key_env ("" when none is configured). Throws Error naming the
  // variable when it is configured but not set.
  static std::string api_key(const config::SamplerConfig& config);

 private:
  ModelServer(const config::SamplerConfig& config, ServerJob job, StatusFn on_status, LogFn log);
  // Starts the launch command on a fresh port and waits for it; false when cancelled.
  bool start(const std::atomic<bool>* cancel);
  void query_identity();
  void load_adapter();
  void report(const std::string& state);
  void note(const std::string& level, const std::string& message);
  // Hands the notes, the state and the new log lines to `log_` and `on_status_`.
  void forward();

  config::SamplerConfig config_;
  ServerJob job_;
  StatusFn on_status_;
  LogFn log_;
  SamplerOrigin origin_;
  std::string template_;
  const std::atomic<bool>* cancel_ = nullptr;

  mutable std::mutex mutex_;  // guards everything below (recover() runs on sampler threads)
  std::condition_variable restarted_;
  // recover() asks, poll() (on the thread that opened the server) restarts: a server started
  // from a sampler's worker thread would get the death signal when that thread ends.
  bool restart_requested_ = false;
  std::string restart_error_;  // why the last restart failed; empty when it worked
  int restarts_ = 0;
  std::unique_ptr<io::ChildProcess> child_;
  std::string url_;
  std::vector<std::pair<std::string, std::string>> pending_notes_;  // level, message
  std::vector<std::string> pending_states_;  // each state change, in order
  std::string last_state_;  // the last state reported, for log lines that come without a change
  std::unique_ptr<io::LogFollower> log_follower_;  // what of the log file was forwarded
};

// The command a launch template stands for, its placeholders filled in.
std::string expand_launch_command(const std::string& launch_template, const ServerJob& job, const std::string& host,
                                  int port);

}  // namespace tpt::run
