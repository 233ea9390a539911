// People's labels on traces (annotations) and the trace browser's reads beside them: how the
// labels agree with the verifier (the review panel), and which rules dropped a round's samples
// (the rule filter's choices), and where the two checkers disagree (the verifier audit). A
// relabel supersedes the current label and an undo restores it; no annotation is deleted.
#include "store/store.h"

#include <limits>

#include "core/error.h"
#include "store/store_internal.h"

namespace tpt::store {

// ---- annotations ---------------------------------------------------------------------

std::int64_t Store::add_annotation(const AnnotationRecord& a) {
  impl_->require_writable("add an annotation");
  if (a.label == Label::None)
    throw Error(impl_->db.path() + ": an annotation of sample " + std::to_string(a.sample_id) +
                " needs a label (accept, reject or flag)");
  std::string scratch;
  const std::string& time = detail::or_now(a.time, scratch);
  const std::string what = "annotate sample " + std::to_string(a.sample_id);
  Transaction transaction(impl_->db);
  // The current label first steps aside: the unique index allows one current label a sample.
  auto current = impl_->db.query("SELECT id FROM annotations WHERE sample_id = ?1 AND state = 'current'", what);
  current.bind(1, a.sample_id);
  const std::optional<std::int64_t> replaces = current.step() ? std::optional(current.int64(0)) : std::nullopt;
  if (replaces) {
    impl_->db.query("UPDATE annotations SET state = 'superseded', replaced_at = ?2 WHERE id = ?1", what)
        .bind(1, *replaces)
        .bind(2, time)
        .run();
  }
  impl_->db
      .query("INSERT INTO annotations(sample_id, annotator, label, comment, created_at, state, replaces)"
             " VALUES (?1, ?2, ?3, ?4, ?5, 'current', ?6)",
             what)
      .bind(1, a.sample_id)
      .bind(2, a.annotator)
      .bind(3, to_string(a.label))
      .bind(4, a.comment)
      .bind(5, time)
      .bind(6, replaces)
      .run();
  const std::int64_t id = impl_->db.last_insert_id();
  transaction.commit();
  return id;
}

std::optional<StoredAnnotation> Store::undo_annotation(std::int64_t annotation_id) {
  impl_->require_writable("undo an annotation");
  const std::string what = "undo annotation " + std::to_string(annotation_id);
  Transaction transaction(impl_->db);
  auto q = impl_->db.query("SELECT sample_id, state, replaces FROM annotations WHERE id = ?1", what);
  q.bind(1, annotation_id);
  if (!q.step()) throw Error(path() + ": cannot " + what + ": no such annotation");
  const std::int64_t sample_id = q.int64(0);
  const std::string state = q.text(1);
  if (state == "undone") throw Error(path() + ": cannot " + what + ": it is already undone");
  if (state != "current")
    throw Error(path() + ": cannot " + what + ": sample " + std::to_string(sample_id) +
                " has been labelled again since");
  const std::optional<std::int64_t> replaces = q.optional_int64(2);
  impl_->db.query("UPDATE annotations SET state = 'undone', replaced_at = ?2 WHERE id = ?1", what)
      .bind(1, annotation_id)
      .bind(2, detail::now_utc())
      .run();
  if (replaces) {
    impl_->db
        .query("UPDATE annotations SET state = 'current', replaced_at = NULL WHERE id = ?1 AND state = 'superseded'",
               what)
        .bind(1, *replaces)
        .run();
  }
  auto restored = current_annotation(sample_id);
  transaction.commit();
  return restored;
}

std::optional<StoredAnnotation> Store::current_annotation(std::int64_t sample_id) {
  auto q = impl_->db.query(
      "SELECT id, sample_id, annotator, label, comment, created_at, state, replaces, replaced_at"
      " FROM annotations WHERE sample_id = ?1 AND state = 'current'",
      "read the label of sample " + std::to_string(sample_id));
  q.bind(1, sample_id);
  if (!q.step()) return std::nullopt;
  return detail::read_annotation(q, path());
}

double Store::Agreement::rate() const {
  const double labelled = static_cast<double>(accept_correct + accept_wrong + reject_correct + reject_wrong);
  return labelled > 0 ? static_cast<double>(accept_correct + reject_wrong) / labelled
                      : std::numeric_limits<double>::quiet_NaN();
}

Store::Agreement Store::annotation_agreement(std::int64_t experiment_id) {
  auto q = impl_->db.query(
      "SELECT s.annotation_label, d.verdict = 'correct', count(*) FROM samples s"
      " JOIN decisions d ON d.sample_id = s.id"
      " WHERE s.annotation_label IS NOT NULL AND s.round_id IN (SELECT id FROM rounds WHERE experiment_id = ?1)"
      " GROUP BY 1, 2",
      "compare annotations with the verifier");
  q.bind(1, experiment_id);
  Agreement a;
  while (q.step()) {
    const std::string label = q.text(0);
    const bool correct = q.int64(1) != 0;
    const std::int64_t n = q.int64(2);
    if (label == "accept") (correct ? a.accept_correct : a.accept_wrong) += n;
    else if (label == "reject") (correct ? a.reject_correct : a.reject_wrong) += n;
    else a.flagged += n;
  }
  return a;
}

std::vector<CheckerDisagreements> Store::checker_disagreements(std::int64_t experiment_id) {
  const std::string what = "count where the checkers disagree";
  std::vector<CheckerDisagreements> rounds;
  {
    // Rounds with samples (round 0 has none: it only evaluates).
    auto q = impl_->db.query(
        "SELECT id, round_index FROM rounds r WHERE experiment_id = ?1"
        " AND EXISTS (SELECT 1 FROM samples WHERE round_id = r.id) ORDER BY round_index",
        what);
    q.bind(1, experiment_id);
    while (q.step()) rounds.push_back({q.int64(0), static_cast<int>(q.int64(1)), 0, 0, 0});
  }
  auto of = [&](std::int64_t round_id) -> CheckerDisagreements* {
    for (auto& r : rounds)
      if (r.round_id == round_id) return &r;
    return nullptr;
  };
  // Both read the partial indexes alone (schema version 7), never the rows with their traces.
  auto q = impl_->db.query(
      "SELECT round_id, correct_strict, count(*) FROM samples WHERE correct_strict <> correct_flexible"
      " AND round_id IN (SELECT id FROM rounds WHERE experiment_id = ?1) GROUP BY 1, 2",
      what);
  q.bind(1, experiment_id);
  while (q.step()) {
    if (auto* r = of(q.int64(0))) (q.int64(1) ? r->strict_right_flexible_wrong : r->strict_wrong_flexible_right) = q.int64(2);
  }
  auto unchecked = impl_->db.query(
      "SELECT round_id, count(*) FROM samples WHERE correct_strict IS NULL"
      " AND round_id IN (SELECT id FROM rounds WHERE experiment_id = ?1) GROUP BY 1",
      what);
  unchecked.bind(1, experiment_id);
  while (unchecked.step()) {
    if (auto* r = of(unchecked.int64(0))) r->unchecked = unchecked.int64(1);
  }
  return rounds;
}

std::vector<std::string> Store::dropping_rules(std::int64_t round_id) {
  auto q = impl_->db.query(
      "SELECT DISTINCT dropped_by FROM decisions WHERE round_id = ?1 AND dropped_by IS NOT NULL ORDER BY 1",
      "list the rules that dropped samples of round " + std::to_string(round_id));
  q.bind(1, round_id);
  std::vector<std::string> names;
  while (q.step()) names.push_back(q.text(0));
  return names;
}

}  // namespace tpt::store
