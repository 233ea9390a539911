// People's labels on traces (annotations) and the trace browser's reads beside them: how the
// labels agree with the verifier (the review panel), and which rules dropped a round's samples
// (the rule filter's choices). The engine only adds annotations; it never rewrites or deletes one.
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
  Transaction transaction(impl_->db);
  impl_->db
      .query("INSERT INTO annotations(sample_id, annotator, label, comment, created_at)"
             " VALUES (?1, ?2, ?3, ?4, ?5)",
             "annotate sample " + std::to_string(a.sample_id))
      .bind(1, a.sample_id)
      .bind(2, a.annotator)
      .bind(3, to_string(a.label))
      .bind(4, a.comment)
      .bind(5, detail::or_now(a.time, scratch))
      .run();
  const std::int64_t id = impl_->db.last_insert_id();
  transaction.commit();
  return id;
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
