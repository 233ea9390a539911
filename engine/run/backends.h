// Which sampler and trainer an experiment's phases use. The loop asks here and nowhere else,
// so a new backend is one more case in this file, not a branch in every phase.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "config/experiment_config.h"
#include "run/model_server.h"
#include "run/observer.h"
#include "text/model_tokenizer.h"
#include "think/sampler.h"
#include "train/trainer.h"

namespace tpt::run {

// A phase's sampler with whatever it needs kept alive (a model server), and what to record
// about where its samples came from.
struct OpenedSampler {
  std::unique_ptr<ModelServer> server;      // sampler.backend "openai" only; outlives the sampler
  std::unique_ptr<think::Sampler> sampler;  // null when the run was cancelled while a server started
  SamplerOrigin origin;
};

// A sampler drawing from the model in `job.model_dir` (Think and Improve), per config.sampler.
// `tokenizer` is that folder's and must outlive the sampler. A launched server is started here
// (and stopped when the result is destroyed); `on_status` and `log` hear about it.
OpenedSampler open_sampler(const config::ExperimentConfig& config, const ServerJob& job,
                           const text::ModelTokenizer& tokenizer, const ModelServer::StatusFn& on_status,
                           const ModelServer::LogFn& log, const std::atomic<bool>* cancel);

// Where an external trainer's output goes and who hears about it (trainer.backend "command").
struct TrainerHooks {
  int round = 0;
  std::string log_file;
  std::function<void(const TrainerStatus&)> on_status;
  std::function<void(const std::string& level, const std::string& message)> log;
};

// The trainer for Train, per config.trainer.
std::unique_ptr<train::Trainer> open_trainer(const config::ExperimentConfig& config, const TrainerHooks& hooks);

}  // namespace tpt::run
