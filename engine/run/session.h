// One run of one experiment (private to run/): what Runner::run sets up, and the phases. The
// loop (runner.cpp) moves a round from state to state; each phase (phases.cpp) is a short
// function from the experiment's settings, through a backend, into the journal.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/experiment_config.h"
#include "core/work_control.h"
#include "run/backends.h"
#include "run/control.h"
#include "run/observer.h"
#include "run/paths.h"
#include "run/runner.h"
#include "store/store.h"
#include "text/prompt_format.h"

namespace tpt::run {

class Session {
 public:
  Session(const ExperimentPaths& paths, config::ExperimentConfig config, Observer* observer, RunControl* control);

  // The rounds, from where the store says the experiment is. A failure is recorded in the
  // store (state "failed", an error event) before it propagates.
  RunResult run_guarded();

 private:
  RunResult run();
  // Runs round `round`'s remaining phases; false when cancelled.
  bool run_round(int round, int64_t round_id, store::RoundRecord& record, const std::string& previous_model);

  // The phases. Each returns false when cancelled (its work so far is journaled).
  bool think(int round, int64_t round_id, const std::string& model_path);
  bool prune(int round, int64_t round_id);  // false: cancelled while judging programs
  // `model_path` receives the round's model folder.
  bool train(int round, int64_t round_id, const std::string& previous_model, std::string& model_path);
  bool improve(int round, int64_t round_id, const std::string& model_path);
  // Why `round`'s recorded model cannot be used as it is (missing, a link, changed since its
  // Train wrote it), or nullopt when it matches its digest or is not one of this experiment's
  // own folders (the base model). Records the digest of a model trained before digests were kept.
  std::optional<std::string> model_problem(const store::RoundRecord& round);
  // Moves a model folder this experiment cannot vouch for out of the way (nothing is deleted)
  // and says where it went.
  void set_aside(int round, int64_t round_id, const std::string& folder, const std::string& why);
  std::vector<store::KeptTrace> training_traces(int round, int64_t round_id);
  // The sampler for a sampling phase on `model_path`, its origin recorded with the round. The
  // one Improve used stays open for the next round's Think, which samples the same model: the
  // model is not loaded, nor a server started, twice. Null when cancelled while a server started.
  // `tokenizer` is the folder's, already loaded by the phase.
  think::Sampler* phase_sampler(int round, int64_t round_id, Phase phase, const std::string& model_path,
                                const text::ModelTokenizer& tokenizer);
  // Closes the open sampler (a launched server is stopped): before Train, which needs the
  // memory, and after Think, whose model is not sampled again.
  void release_sampler();

  void open_experiment();
  void load_problems();
  std::vector<store::ProblemRecord> load_split(const std::string& file, const std::string& split);
  text::PromptFormat prompt_format(const text::ModelTokenizer& tokenizer) const;
  // Code experiments: the sandbox must run before Think draws anything (throws naming the fix).
  void check_code_sandbox();
  std::optional<std::string> stop_reason(const std::vector<double>& pass1_by_round, int round) const;

  void log(const std::string& level, int round, const std::string& phase, const std::string& message,
           std::optional<int64_t> round_id = std::nullopt);
  void add_seconds(int64_t round_id, Phase phase, double seconds);
  bool go_on() { return !control_ || control_->checkpoint(); }
  WorkControl work_control();

  ExperimentPaths paths_;
  config::ExperimentConfig config_;
  Observer* observer_;
  RunControl* control_;
  store::Store store_;
  int64_t experiment_id_ = 0;
  std::string base_model_;
  std::vector<store::ProblemRecord> pool_;      // the training pool, few-shot examples left out
  std::vector<store::ProblemRecord> eval_set_;  // the (subset of the) evaluation split
  std::vector<text::WorkedExample> examples_;

  struct OpenSampler {
    std::string model_path;
    text::ModelTokenizer tokenizer;  // the engine sampler reads it
    OpenedSampler opened;
    int round = 0;  // the phase it serves now
    Phase phase = Phase::Think;
    int64_t round_id = 0;
  };
  std::unique_ptr<OpenSampler> sampler_;
};

}  // namespace tpt::run
