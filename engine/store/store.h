// The experiment store: the typed API over experiment.sqlite. Everything a round produces —
// samples, pruning decisions, metrics, the event log — and the annotations people add in the
// trace browser, are written and read here; no SQL lives outside engine/store/.
//
// Threading: a Store is one SQLite connection, for one thread. The engine thread holds a
// read_write Store; the GUI opens its own read_only Store on the same file and, thanks to WAL,
// sees every committed write without blocking the writer.
//
// Errors throw tpt::Error, "<file>: cannot <what>: <SQLite's message>".
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/database.h"
#include "store/records.h"

namespace tpt::store {

// What insert_samples does with a sample whose (round, problem, sample_index) already exists.
enum class OnConflict {
  // Throw, naming the key; the whole batch is rolled back. The default: a duplicate usually
  // means two writers or a bug, and should not pass silently.
  fail,
  // Keep the stored sample, skip the new one, and report the stored id. For resume after a
  // crash: Think redraws a batch with the same per-sample seeds, so the stored one is the same.
  ignore,
};

struct InsertResult {
  std::vector<std::int64_t> ids;  // one per input record, in order (stored ids for skipped ones)
  std::size_t inserted = 0;       // how many rows are new
};

class Store {
 public:
  static constexpr const char* file_name = "experiment.sqlite";

  // read_write creates the file if needed and migrates an older schema in one transaction;
  // read_only requires the file at the current schema version.
  explicit Store(const std::string& path, OpenMode mode = OpenMode::read_write);
  ~Store();
  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;

  const std::string& path() const;
  OpenMode mode() const;

  // Groups several calls into one atomic write; each call's own transaction nests inside.
  // Commit explicitly; destroyed without commit, everything since is rolled back.
  Transaction transaction();

  // ---- experiments and rounds -----------------------------------------------------------
  std::int64_t create_experiment(const ExperimentRecord& experiment);
  std::optional<ExperimentRecord> find_experiment(const std::string& name);
  std::vector<ExperimentRecord> list_experiments();
  void set_experiment_config(std::int64_t experiment_id, const std::string& config_json);
  void set_experiment_state(std::int64_t experiment_id, const std::string& state, const std::string& detail = "");

  // The id of round `round_index`, created in state "pending" if missing: a resumed run calls
  // it again and gets the same round.
  std::int64_t ensure_round(std::int64_t experiment_id, int round_index);
  std::optional<RoundRecord> get_round(std::int64_t round_id);
  std::vector<RoundRecord> list_rounds(std::int64_t experiment_id);  // by round index
  void set_round_state(std::int64_t round_id, RoundState state);
  void set_round_model_path(std::int64_t round_id, const std::string& model_path, const std::string& model_digest = "");
  void set_round_config(std::int64_t round_id, const std::string& config_json);

  // ---- problems -------------------------------------------------------------------------
  // Inserts or updates (question, solution, gold) by (experiment, split, problem_key); one
  // transaction; returns the ids in input order.
  std::vector<std::int64_t> upsert_problems(const std::vector<ProblemRecord>& problems);
  std::optional<ProblemRecord> get_problem(std::int64_t problem_id);
  // A split's problems (questions and solutions included), by id.
  std::vector<ProblemRecord> list_problems(std::int64_t experiment_id, const std::string& split);

  // ---- samples --------------------------------------------------------------------------
  // One transaction per call: a failure stores none of the batch. Batches of thousands are
  // what makes a million samples fast.
  InsertResult insert_samples(const std::vector<SampleRecord>& samples,
                              OnConflict on_conflict = OnConflict::fail);
  std::optional<SampleDetail> get_sample(std::int64_t sample_id);

  // A page of the trace browser: up to `limit` rows with id > after_sample_id, by id.
  // Pass the last row's id to get the next page (keyset paging: as fast deep in the results
  // as on the first page, and stable while the engine appends).
  std::vector<SampleRow> list_samples(const SampleFilter& filter, std::int64_t after_sample_id = 0,
                                      int limit = 100);
  // Slower than a page: visits every match.
  std::int64_t count_samples(const SampleFilter& filter);
  // SQLite's plan for list_samples(filter), one step a line: for benchmarks and tests.
  std::string explain_list_samples(const SampleFilter& filter);

  // Where the round's stored samples were drawn (for resume: what is left to draw).
  std::vector<SampleKey> sample_keys(std::int64_t round_id);
  // Every sample of the round as Prune sees it, in id order: text, gold, token count, and the
  // latest annotation with its annotator.
  std::vector<prune::PruneSample> prune_inputs(std::int64_t round_id);
  // The kept traces of these rounds, by sample id.
  std::vector<KeptTrace> kept_traces(const std::vector<std::int64_t>& round_ids);

  // ---- evaluation -----------------------------------------------------------------------
  // As insert_samples, for Improve's answers.
  InsertResult insert_eval_samples(const std::vector<EvalSampleRecord>& samples,
                                   OnConflict on_conflict = OnConflict::fail);
  std::vector<SampleKey> eval_sample_keys(std::int64_t round_id);
  // One result per evaluated problem of the round, by problem id.
  std::vector<ProblemResult> problem_results(std::int64_t round_id);
  // A round's answers, by problem and sample index; all problems when problem_id is 0.
  std::vector<EvalSampleRecord> list_eval_samples(std::int64_t round_id, std::int64_t problem_id = 0);

  // ---- sampler origins ------------------------------------------------------------------
  // Records that `origin` drew samples for its round and phase (again: its last use moves).
  void record_sampler_origin(const SamplerOriginRecord& origin);
  // Those of one round, or of every round of the experiment (round_id 0), oldest first.
  std::vector<SamplerOriginRecord> list_sampler_origins(std::int64_t experiment_id, std::int64_t round_id = 0);

  // ---- training -------------------------------------------------------------------------
  // Replaces a step already stored (a resumed run retrains the steps after its checkpoint).
  void put_train_steps(const std::vector<TrainStepRecord>& steps);
  std::vector<TrainStepRecord> list_train_steps(std::int64_t round_id);
  // Forgets the steps after `step` (a resume from an earlier checkpoint redoes them).
  void delete_train_steps_after(std::int64_t round_id, std::int64_t step);

  // ---- decisions ------------------------------------------------------------------------
  // Writes each sample's decision, replacing one it had: re-pruning a round rewrites them.
  // One transaction.
  void write_decisions(const std::vector<DecisionRecord>& decisions);
  // Forgets a round's decisions (before a re-prune that may skip samples). Annotations stay.
  void clear_decisions(std::int64_t round_id);

  // ---- annotations ----------------------------------------------------------------------
  // A sample has at most one current label. add_annotation makes the new one current and marks
  // the one it replaces superseded (kept, with a link from the new one); its own transaction (or
  // the caller's). Annotations are never rewritten beyond their state, nor deleted.
  std::int64_t add_annotation(const AnnotationRecord& annotation);
  // Takes back label `annotation_id`, which must still be current (throws otherwise: someone
  // relabelled the sample since): it becomes undone and the label it superseded is current
  // again. Returns that restored label, or nothing when the sample is left unlabelled.
  std::optional<StoredAnnotation> undo_annotation(std::int64_t annotation_id);
  // The sample's current label, if any.
  std::optional<StoredAnnotation> current_annotation(std::int64_t sample_id);

  // How annotators' labels compare with the verifier's verdicts: the review panel's agreement.
  struct Agreement {
    std::int64_t accept_correct = 0, accept_wrong = 0;  // accepted traces the verifier judged right / not
    std::int64_t reject_correct = 0, reject_wrong = 0;  // rejected traces the verifier judged right / not
    std::int64_t flagged = 0;
    // The share of accept/reject labels that agree with the verifier; NaN with none.
    double rate() const;
  };
  // Over each annotated, pruned sample's latest label (all rounds of the experiment).
  Agreement annotation_agreement(std::int64_t experiment_id);
  // The rules that dropped samples of this round, by name.
  std::vector<std::string> dropping_rules(std::int64_t round_id);
  // Per round of the experiment that has samples (by round index): where the strict and the
  // flexible checker disagree on Think's samples, and how many samples were not checked.
  std::vector<CheckerDisagreements> checker_disagreements(std::int64_t experiment_id);

  // ---- metrics --------------------------------------------------------------------------
  void put_metric(std::int64_t round_id, const std::string& name, double value);
  void put_metrics(std::int64_t round_id, const std::map<std::string, double>& metrics);
  std::map<std::string, double> get_metrics(std::int64_t round_id);

  // ---- events ---------------------------------------------------------------------------
  std::int64_t log_event(const EventRecord& event);
  // Events with id > after_event_id, oldest first: a log view polls with its last id.
  std::vector<EventRecord> list_events(std::int64_t experiment_id, std::int64_t after_event_id = 0,
                                       int limit = 1000);

  // ---- health ---------------------------------------------------------------------------
  int schema_version();
  std::string journal_mode();
  bool foreign_keys_enabled();
  // "ok" alone when the file is sound; otherwise SQLite's list of problems.
  std::vector<std::string> integrity_check();
  // Refreshes the query planner's statistics (ANALYZE); worth calling after a phase wrote
  // many rows. Read-write only.
  void optimize();

  // The connection itself, for the store's tests and tools.
  Database& database();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tpt::store
