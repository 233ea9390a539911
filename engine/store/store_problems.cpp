// The problems an experiment draws from, per split: upserted by their stable key, so a
// resumed or re-run experiment finds the same rows (and ids) again.
#include "store/store.h"

#include "core/error.h"
#include "store/store_internal.h"

namespace tpt::store {

// ---- problems ------------------------------------------------------------------------

std::vector<std::int64_t> Store::upsert_problems(const std::vector<ProblemRecord>& problems) {
  impl_->require_writable("store problems");
  std::vector<std::int64_t> ids;
  ids.reserve(problems.size());
  Transaction transaction(impl_->db);
  auto upsert = impl_->db.query(
      "INSERT INTO problems(experiment_id, split, problem_key, question, solution, gold)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
      " ON CONFLICT(experiment_id, split, problem_key) DO UPDATE SET"
      " question = excluded.question, solution = excluded.solution, gold = excluded.gold",
      "store problems");
  auto find = impl_->db.query(
      "SELECT id FROM problems WHERE experiment_id = ?1 AND split = ?2 AND problem_key = ?3",
      "store problems");
  for (const auto& p : problems) {
    upsert.bind(1, p.experiment_id).bind(2, p.split).bind(3, p.problem_key);
    upsert.bind(4, p.question).bind(5, p.solution).bind(6, p.gold);
    try {
      upsert.run();
    } catch (const Error& e) {
      throw Error(std::string(e.what()) + " (problem \"" + p.problem_key + "\" of split \"" +
                  p.split + "\")");
    }
    upsert.reset();
    // last_insert_rowid() is not set when the upsert took the UPDATE branch.
    find.bind(1, p.experiment_id).bind(2, p.split).bind(3, p.problem_key);
    if (!find.step()) impl_->db.fail("store problem \"" + p.problem_key + "\"");
    ids.push_back(find.int64(0));
    find.reset();
  }
  transaction.commit();
  return ids;
}

std::optional<ProblemRecord> Store::get_problem(std::int64_t problem_id) {
  auto q = impl_->db.query(
      "SELECT id, experiment_id, split, problem_key, question, solution, gold FROM problems"
      " WHERE id = ?1",
      "read problem " + std::to_string(problem_id));
  q.bind(1, problem_id);
  if (!q.step()) return std::nullopt;
  return ProblemRecord{q.int64(0), q.int64(1), q.text(2), q.text(3), q.text(4), q.text(5), q.text(6)};
}

std::vector<ProblemRecord> Store::list_problems(std::int64_t experiment_id, const std::string& split) {
  auto q = impl_->db.query(
      "SELECT id, experiment_id, split, problem_key, question, solution, gold FROM problems"
      " WHERE experiment_id = ?1 AND split = ?2 ORDER BY id",
      "list the " + split + " problems");
  q.bind(1, experiment_id).bind(2, split);
  std::vector<ProblemRecord> result;
  while (q.step())
    result.push_back({q.int64(0), q.int64(1), q.text(2), q.text(3), q.text(4), q.text(5), q.text(6)});
  return result;
}

}  // namespace tpt::store
