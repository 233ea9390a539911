// Train's per-step log (loss, learning rate, gradient norm, tokens, time), which a resumed
// run rewrites from its checkpoint on.
#include "store/store.h"

#include <cmath>
#include <limits>

#include "store/store_internal.h"

namespace tpt::store {

// ---- training ------------------------------------------------------------------------

void Store::put_train_steps(const std::vector<TrainStepRecord>& steps) {
  impl_->require_writable("store training steps");
  Transaction transaction(impl_->db);
  auto q = impl_->db.query(
      "INSERT OR REPLACE INTO train_steps(round_id, step, loss, learning_rate, grad_norm, tokens,"
      " completion_tokens, seconds) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
      "store training steps");
  for (const auto& s : steps) {
    q.bind(1, s.round_id).bind(2, s.step);
    if (std::isfinite(s.loss)) q.bind(3, s.loss); else q.bind_null(3);
    q.bind(4, s.learning_rate);
    if (std::isfinite(s.grad_norm)) q.bind(5, s.grad_norm); else q.bind_null(5);
    q.bind(6, s.tokens).bind(7, s.completion_tokens).bind(8, s.seconds);
    q.run();
    q.reset();
  }
  transaction.commit();
}

std::vector<TrainStepRecord> Store::list_train_steps(std::int64_t round_id) {
  auto q = impl_->db.query(
      "SELECT round_id, step, loss, learning_rate, grad_norm, tokens, completion_tokens, seconds"
      " FROM train_steps WHERE round_id = ?1 ORDER BY step",
      "read the training steps of round " + std::to_string(round_id));
  q.bind(1, round_id);
  std::vector<TrainStepRecord> result;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  while (q.step()) {
    result.push_back({q.int64(0), q.int64(1), q.is_null(2) ? nan : q.real(2), q.real(3),
                      q.is_null(4) ? nan : q.real(4), q.int64(5), q.int64(6), q.real(7)});
  }
  return result;
}

void Store::delete_train_steps_after(std::int64_t round_id, std::int64_t step) {
  impl_->require_writable("forget training steps");
  impl_->db.query("DELETE FROM train_steps WHERE round_id = ?1 AND step > ?2",
                  "forget the training steps of round " + std::to_string(round_id))
      .bind(1, round_id)
      .bind(2, step)
      .run();
}

}  // namespace tpt::store
