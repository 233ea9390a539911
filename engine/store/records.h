// The plain records the experiment store reads and writes: one struct per table, plus the
// trace browser's filter and row. Std types only, so the GUI and the engine share them.
//
// Ids are SQLite rowids (> 0); 0 means "not stored yet". Times are ISO-8601 UTC text; left
// empty on a write, the store fills in the current time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "prune/rule_set.h"
#include "prune/rules.h"
#include "prune/verifier.h"

namespace tpt::store {

// The store speaks the prune engine's vocabulary, so a round's decisions go from Prune to disk
// and back unchanged (to_string / parse_* for these live beside them in prune/).
// How the answer extracted from a trace compares with the gold answer.
using Verdict = prune::Verdict;
// A person's judgement of one trace. An annotation always has one: Label::None is refused.
using Label = prune::AnnotationLabel;
// One rule's say on one trace.
using RuleVerdict = prune::RuleVerdict;
using Outcome = prune::Outcome;

struct ExperimentRecord {
  std::int64_t id = 0;
  std::string name;  // unique in the file
  std::string config_json = "{}";
  std::string created_at;
  // How its last run ended: "new", "running", "completed", "stopped", "cancelled", "failed".
  // run/ owns the meaning; state_detail says why in words ("Pass@1 reached 0.6").
  std::string state = "new";
  std::string state_detail;
};

// Where a round is: the phase it reached, pending before its first and done after Improve.
// run/ owns the meaning; the store keeps it as text ("pending", "think", ..., "done").
enum class RoundState { Pending, Think, Prune, Train, Eval, Done };

const char* to_string(RoundState state);
std::optional<RoundState> parse_round_state(std::string_view text);

// RoundRecord::model_digest while the round's Train runs (its folder, once published, is this
// experiment's own), and for a model trained before digests were recorded.
inline constexpr const char* kModelTraining = "training";
inline constexpr const char* kModelLegacy = "legacy";

struct RoundRecord {
  std::int64_t id = 0;
  std::int64_t experiment_id = 0;
  int round_index = 0;  // 0 = the base model
  RoundState state = RoundState::Pending;
  // Absolute as read. A folder inside the experiment is stored relative to it, so a copied or
  // moved experiment uses its own models (see Store::set_round_model_path).
  std::string model_path;
  // The digest of the model folder this round's Train wrote (io::model_digest), or
  // kModelTraining / kModelLegacy, or empty (the base model, or not trained yet).
  std::string model_digest;
  std::string created_at;
  std::string updated_at;
  std::string config_json = "{}";  // the settings the round ran with (its rule set, ...)
};

struct ProblemRecord {
  std::int64_t id = 0;
  std::int64_t experiment_id = 0;
  std::string split;        // "train", "test"
  std::string problem_key;  // stable across runs: the dataset's id or line number
  std::string question;
  std::string solution;
  std::string gold;  // the reference final answer
};

struct SamplingParams {
  double temperature = 1.0;
  double top_p = 1.0;
  int top_k = 0;  // 0 = off
  int max_new_tokens = 0;
};

struct SampleRecord {
  std::int64_t id = 0;
  std::int64_t round_id = 0;
  std::int64_t problem_id = 0;
  int sample_index = 0;  // (round, problem, sample_index) is unique
  std::string text;
  int token_count = 0;
  std::string finish_reason;  // "stop", "length", ...
  std::uint64_t seed = 0;
  SamplingParams sampling;
  std::string created_at;
  // Both checkers' verdicts (eval::strict_checker, eval::flexible_checker) as Think stored the
  // sample; empty when not checked (a code problem, or stored before schema version 7).
  std::optional<bool> correct_strict, correct_flexible;
};

struct DecisionRecord {
  std::int64_t sample_id = 0;
  bool kept = false;
  std::string dropped_by;  // the rule that dropped it; empty exactly when kept
  std::string reason;
  std::optional<std::string> extracted;  // nullopt: no answer found
  Verdict verdict = Verdict::NoAnswer;
  std::vector<RuleVerdict> rules;  // in pipeline order; stored as a JSON array
  std::string decided_at;
  // Code problems: the program's judgement (code::CodeJudgement as JSON); "" for math.
  std::string detail;
};

// What Prune stores of a decision: the rules' verdicts, and for a code sample its program's
// judgement as JSON.
DecisionRecord decision_record(const prune::Decision& decision);

// Where an annotation stands: the sample's one current label, one a later label replaced, or
// one its annotator undid. Replaced and undone labels are kept as the sample's history.
enum class AnnotationState { Current, Superseded, Undone };

const char* to_string(AnnotationState state);  // "current", "superseded", "undone"
std::optional<AnnotationState> parse_annotation_state(std::string_view text);

struct AnnotationRecord {
  std::int64_t id = 0;
  std::int64_t sample_id = 0;
  std::string annotator;
  Label label = Label::Flag;
  std::string comment;
  std::string time;
};

// An annotation as the store holds it: the record, and where it stands in the sample's history.
struct StoredAnnotation : AnnotationRecord {
  AnnotationState state = AnnotationState::Current;
  std::int64_t replaces = 0;  // the label this one superseded (undo restores it); 0: none
  std::string replaced_at;    // when it stopped being current; empty while current
};

struct EventRecord {
  std::int64_t id = 0;
  std::int64_t experiment_id = 0;
  std::string time;
  std::string level = "info";  // "debug", "info", "warning", "error"
  std::string phase;           // "think", "prune", ...
  std::string message;
  std::optional<std::int64_t> round_id;
};

// One answer of the model under evaluation (Improve), judged by both checkers.
struct EvalSampleRecord {
  std::int64_t id = 0;
  std::int64_t round_id = 0;
  std::int64_t problem_id = 0;
  int sample_index = 0;  // (round, problem, sample_index) is unique
  std::string text;
  int token_count = 0;
  std::string finish_reason;
  std::uint64_t seed = 0;
  double temperature = 0.0;
  std::optional<std::string> extracted_strict, extracted_flexible;
  bool correct_strict = false;
  bool correct_flexible = false;
  std::string created_at;
  // Code problems: the program's judgement (code::CodeJudgement as JSON); "" for math.
  std::string detail;
};

// A problem's evaluation in one round: how many answers, how many right by each checker.
struct ProblemResult {
  std::int64_t problem_id = 0;
  std::string problem_key;
  int samples = 0;
  int correct_strict = 0;
  int correct_flexible = 0;
  // Correct answers among the first k by sample index, for correct@k: bit i is sample i
  // (sample indexes >= 64 are not represented).
  std::uint64_t strict_mask = 0, flexible_mask = 0;
};

// A kept trace with what training needs around it.
struct KeptTrace {
  std::int64_t sample_id = 0;
  int round_index = 0;
  std::int64_t problem_id = 0;
  std::string problem_key;
  std::string question;
  std::string text;
};

// Where a stored sample was drawn: enough for resume to know what is left to draw.
struct SampleKey {
  std::int64_t problem_id = 0;
  int sample_index = 0;
  bool operator<(const SampleKey& o) const {
    return problem_id != o.problem_id ? problem_id < o.problem_id : sample_index < o.sample_index;
  }
  bool operator==(const SampleKey& o) const { return problem_id == o.problem_id && sample_index == o.sample_index; }
};

// A backend (and server) that drew samples for a round's Think or Improve.
struct SamplerOriginRecord {
  std::int64_t round_id = 0;
  std::string phase;           // "think", "eval"
  std::string backend;         // "engine", "openai"
  std::string url;
  std::string launch_command;  // as run, placeholders filled in
  std::string server_version;
  std::string model_name;
  std::string first_used_at;   // empty on a write: now
  std::string last_used_at;
};

// One optimizer step of a round's training, for the loss chart.
struct TrainStepRecord {
  std::int64_t round_id = 0;
  std::int64_t step = 0;
  double loss = 0.0;  // NaN is stored as NULL and read back as NaN
  double learning_rate = 0.0;
  double grad_norm = 0.0;
  std::int64_t tokens = 0;
  std::int64_t completion_tokens = 0;
  double seconds = 0.0;
};

// The verifier audit: samples on which the two checkers disagree, in either or one direction.
enum class CheckerAudit { Disagree, StrictWrongFlexibleRight, StrictRightFlexibleWrong };

// What the trace browser asks for. Every field narrows the result; an empty filter matches
// every sample. Decision fields match only samples that have a decision.
struct SampleFilter {
  std::optional<std::int64_t> experiment_id;
  std::optional<std::int64_t> round_id;
  // Resolved to a round id; needs experiment_id when the file holds several experiments.
  std::optional<int> round_index;
  std::optional<std::int64_t> problem_id;
  // Problems whose key starts with this (case-sensitive), as an annotator types an id.
  std::optional<std::string> problem_key_prefix;
  std::optional<Verdict> verdict;
  std::optional<bool> kept;
  std::optional<std::string> dropped_by;
  std::optional<bool> annotated;      // has any annotation / has none
  std::optional<Label> latest_label;  // the sample's most recent annotation has this label
  // Case-insensitive (ASCII) substring of the trace text. Scans texts: a rare needle on a
  // large round makes pages and counts slow; narrow by round or verdict first.
  std::optional<std::string> text_contains;
  // Samples on which the strict and the flexible checker disagree (unchecked samples never
  // match).
  std::optional<CheckerAudit> checkers;
};

// One line of the trace browser's table.
struct SampleRow {
  std::int64_t sample_id = 0;
  int round_index = 0;
  std::string problem_key;
  int sample_index = 0;
  int token_count = 0;
  std::string finish_reason;
  // Decision fields: empty while the sample has not been pruned.
  std::optional<std::string> extracted;
  std::optional<Verdict> verdict;
  std::optional<bool> kept;
  std::string dropped_by;
  std::optional<Label> latest_label;
  // As stored with the sample: empty when not checked.
  std::optional<bool> correct_strict, correct_flexible;
  // The trace's first characters (kPreviewChars), for a one-line preview.
  std::string preview;
  static constexpr int kPreviewChars = 120;
};

// One round's disagreements between the strict and the flexible checker over Think's samples.
struct CheckerDisagreements {
  std::int64_t round_id = 0;
  int round_index = 0;
  std::int64_t strict_wrong_flexible_right = 0;
  std::int64_t strict_right_flexible_wrong = 0;
  std::int64_t unchecked = 0;  // samples without the checkers' verdicts (code, or older files)
  std::int64_t disagreements() const { return strict_wrong_flexible_right + strict_right_flexible_wrong; }
};

// Everything the trace view shows for one sample.
struct SampleDetail {
  SampleRecord sample;
  int round_index = 0;
  ProblemRecord problem;
  std::optional<DecisionRecord> decision;
  std::vector<StoredAnnotation> annotations;  // oldest first, superseded and undone ones too
};

}  // namespace tpt::store
