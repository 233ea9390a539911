// What an experiment folder holds, read without disturbing a run: the rounds with their
// scores, counts and times. `tpt status` prints it; the workbench's chart reads the same.
// Opens the database read-only. Torch-free.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/records.h"

namespace tpt::report {

struct RoundStatus {
  int round = 0;
  store::RoundState state = store::RoundState::Pending;
  std::string model_path;
  int64_t samples = 0;  // Think's samples stored
  int64_t kept = 0;     // kept by Prune
  std::map<std::string, double> metrics;  // everything stored (see eval/metrics.h, runner.h)
  // Who drew Think's and Improve's samples (the engine, or a server with its URL and version).
  std::vector<store::SamplerOriginRecord> samplers;

  std::optional<double> metric(const std::string& name) const;
};

struct ExperimentStatus {
  std::string dir;
  std::string name;
  // "new" (never run), "running" (a process holds the run lock), "completed", "stopped",
  // "cancelled", "failed", or "interrupted" (a run ended without saying so: a crash or a kill).
  std::string state;
  std::string detail;
  int rounds_planned = 0;  // from experiment.json
  std::vector<RoundStatus> rounds;
};

// Throws Error naming the folder when it holds no experiment database.
ExperimentStatus read_status(const std::string& dir_or_file);

// {"state": ..., "detail": ..., "name": ..., "rounds": [{"round": 0, "state": "done",
//  "pass1_strict": 0.42, "pass1_flexible": 0.57, "pass_at_k": {"4": 0.7},
//  "pass_at_k_flexible": {...}, "correct_at_k": {...}, "samples": ..., "kept": ...,
//  "train_loss": ..., "seconds": {"think": ..., "prune": ..., "train": ..., "eval": ...},
//  "samplers": [{"phase": "think", "backend": "openai", "url": ..., "launch_command": ...,
//                "server_version": ..., "model_name": ...}]}]}
// Fractions are in [0, 1]; a value not measured (yet) is null.
nlohmann::json to_json(const ExperimentStatus& status);

// One line naming a phase's sampler: "engine", or "openai http://... (vLLM 0.6.3), model
// round-2, launched: vllm serve ...".
std::string describe_sampler(const store::SamplerOriginRecord& origin);

// The table `tpt status` prints: one line per round, then the servers that drew samples.
std::string format_table(const ExperimentStatus& status);

}  // namespace tpt::report
