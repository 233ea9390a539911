// What HF's Trainer prints and keeps of a run, for the trainers behind TRL's interface (`tpt
// sft`), so that whoever trained a round, the runner reads one format:
//
//   {'loss': 2.0794415416798357, 'grad_norm': 0.5, 'learning_rate': 1e-05, 'epoch': 0.25}
//                                       a log line: Python's repr of a dict of floats
//   checkpoint-N/trainer_state.json      global_step, max_steps, num_train_epochs, log_history
//
// Floats are written as Python's repr writes them (the shortest text that reads back as the
// same double), so a value parsed from a log line is the value the trainer had. Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace tpt::train {

// Python's repr(float): "1e-05", "0.0001", "2.0", "1e+16", "nan", "-inf".
std::string python_float(double value);

// Python's str of a dict of floats, keys in the given order: "{'loss': 2.5, 'epoch': 1.0}".
std::string python_dict(const std::vector<std::pair<std::string, double>>& items);

// "12,345" as Python's format(n, ',') writes counts in HF's start-up lines.
std::string with_thousands(int64_t n);

// HF's fractional epoch after optimizer step `step` (1-based): whole epochs done plus the share
// of the epoch's micro-batches consumed, so that the last step of an epoch shows a whole number
// even when the micro-batches do not divide into steps evenly.
double hf_epoch(int64_t step, int64_t micro_batches_per_epoch, int grad_accum_steps);

// One entry of log_history: what one optimizer step logged.
struct HfLogEntry {
  int64_t step = 0;
  double epoch = 0.0;
  double loss = 0.0;
  double learning_rate = 0.0;
  double grad_norm = 0.0;
  double num_tokens = -1.0;  // TRL's running count of tokens trained on (prompt + completion); < 0: not logged
};

// trainer_state.json as HF's TrainerState writes it (the fields a reader of a checkpoint looks
// at; the others with HF's defaults).
struct HfTrainerState {
  int64_t global_step = 0;
  int64_t max_steps = 0;
  int64_t num_train_epochs = 0;
  double epoch = 0.0;
  int64_t save_steps = 0;
  int64_t logging_steps = 1;
  int64_t train_batch_size = 0;
  std::vector<HfLogEntry> log_history;

  nlohmann::json to_json() const;
  // Throws FileError naming `path` and the field when a field is missing or mistyped.
  static HfTrainerState from_json(const nlohmann::json& doc, const std::string& path);
};

}  // namespace tpt::train
