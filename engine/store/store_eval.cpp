// Improve's answers (eval_samples) and the per-problem results that its Pass@k scores are
// computed from.
#include "store/store.h"

#include "store/store_internal.h"

namespace tpt::store {

// ---- evaluation ----------------------------------------------------------------------

InsertResult Store::insert_eval_samples(const std::vector<EvalSampleRecord>& samples,
                                        OnConflict on_conflict) {
  impl_->require_writable("insert evaluation samples");
  const std::string now = detail::now_utc();
  return detail::insert_keyed(
      impl_->db, "eval_samples",
      "round_id, problem_id, sample_index, token_count, finish_reason, seed, temperature,"
      " extracted_strict, extracted_flexible, correct_strict, correct_flexible, created_at, text, detail",
      14, samples, on_conflict, "insert evaluation samples", [&](Query& q, const EvalSampleRecord& s) {
        q.bind(1, s.round_id).bind(2, s.problem_id).bind(3, s.sample_index);
        q.bind(4, s.token_count).bind(5, s.finish_reason);
        q.bind(6, static_cast<std::int64_t>(s.seed)).bind(7, s.temperature);
        q.bind(8, s.extracted_strict).bind(9, s.extracted_flexible);
        q.bind(10, s.correct_strict ? 1 : 0).bind(11, s.correct_flexible ? 1 : 0);
        q.bind(12, s.created_at.empty() ? now : s.created_at).bind(13, s.text).bind(14, s.detail);
      });
}

std::vector<SampleKey> Store::eval_sample_keys(std::int64_t round_id) {
  auto q = impl_->db.query("SELECT problem_id, sample_index FROM eval_samples WHERE round_id = ?1",
                           "list the evaluation samples of round " + std::to_string(round_id));
  q.bind(1, round_id);
  std::vector<SampleKey> keys;
  while (q.step()) keys.push_back({q.int64(0), static_cast<int>(q.int64(1))});
  return keys;
}

std::vector<ProblemResult> Store::problem_results(std::int64_t round_id) {
  auto q = impl_->db.query(
      "SELECT e.problem_id, p.problem_key, e.sample_index, e.correct_strict, e.correct_flexible"
      " FROM eval_samples e JOIN problems p ON p.id = e.problem_id WHERE e.round_id = ?1"
      " ORDER BY e.problem_id, e.sample_index",
      "read the evaluation results of round " + std::to_string(round_id));
  q.bind(1, round_id);
  std::vector<ProblemResult> result;
  while (q.step()) {
    const std::int64_t problem_id = q.int64(0);
    if (result.empty() || result.back().problem_id != problem_id) {
      result.emplace_back();
      result.back().problem_id = problem_id;
      result.back().problem_key = q.text(1);
    }
    ProblemResult& r = result.back();
    const std::int64_t index = q.int64(2);
    const bool strict = q.int64(3) != 0, flexible = q.int64(4) != 0;
    ++r.samples;
    r.correct_strict += strict;
    r.correct_flexible += flexible;
    if (index < 64) {
      if (strict) r.strict_mask |= std::uint64_t{1} << index;
      if (flexible) r.flexible_mask |= std::uint64_t{1} << index;
    }
  }
  return result;
}

std::vector<EvalSampleRecord> Store::list_eval_samples(std::int64_t round_id, std::int64_t problem_id) {
  auto q = impl_->db.query(
      "SELECT id, round_id, problem_id, sample_index, text, token_count, finish_reason, seed,"
      " temperature, extracted_strict, extracted_flexible, correct_strict, correct_flexible, created_at, detail"
      " FROM eval_samples WHERE round_id = ?1 AND (?2 = 0 OR problem_id = ?2)"
      " ORDER BY problem_id, sample_index",
      "read the evaluation samples of round " + std::to_string(round_id));
  q.bind(1, round_id).bind(2, problem_id);
  std::vector<EvalSampleRecord> result;
  while (q.step()) {
    EvalSampleRecord e;
    e.id = q.int64(0);
    e.round_id = q.int64(1);
    e.problem_id = q.int64(2);
    e.sample_index = static_cast<int>(q.int64(3));
    e.text = q.text(4);
    e.token_count = static_cast<int>(q.int64(5));
    e.finish_reason = q.text(6);
    e.seed = static_cast<std::uint64_t>(q.int64(7));
    e.temperature = q.real(8);
    e.extracted_strict = q.optional_text(9);
    e.extracted_flexible = q.optional_text(10);
    e.correct_strict = q.int64(11) != 0;
    e.correct_flexible = q.int64(12) != 0;
    e.created_at = q.text(13);
    e.detail = q.text(14);
    result.push_back(std::move(e));
  }
  return result;
}

}  // namespace tpt::store
