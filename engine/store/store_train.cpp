// Train's per-step log (loss, learning rate, gradient norm, tokens, time), which a resumed
// run rewrites from its checkpoint on.
#include "store/store.h"

#include <cmath>
#include <limits>

#include "store/store_internal.h"

namespace tpt::store {

// ---- sampler origins -----------------------------------------------------------------

void Store::record_sampler_origin(const SamplerOriginRecord& o) {
  impl_->require_writable("record the sampler of a phase");
  const std::string now = detail::now_utc();
  auto q = impl_->db.query(
      "INSERT INTO sampler_origins(round_id, phase, backend, url, launch_command, server_version, model_name,"
      " first_used_at, last_used_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)"
      " ON CONFLICT(round_id, phase, backend, url, launch_command, server_version, model_name)"
      " DO UPDATE SET last_used_at = excluded.last_used_at",
      "record the sampler of round " + std::to_string(o.round_id));
  q.bind(1, o.round_id).bind(2, o.phase).bind(3, o.backend).bind(4, o.url).bind(5, o.launch_command);
  q.bind(6, o.server_version).bind(7, o.model_name).bind(8, o.first_used_at.empty() ? now : o.first_used_at);
  q.run();
}

std::vector<SamplerOriginRecord> Store::list_sampler_origins(std::int64_t experiment_id, std::int64_t round_id) {
  auto q = impl_->db.query(
      "SELECT o.round_id, o.phase, o.backend, o.url, o.launch_command, o.server_version, o.model_name,"
      " o.first_used_at, o.last_used_at FROM sampler_origins o JOIN rounds r ON r.id = o.round_id"
      " WHERE r.experiment_id = ?1 AND (?2 = 0 OR o.round_id = ?2)"
      " ORDER BY r.round_index, o.phase DESC, o.first_used_at, o.rowid",
      "read the samplers of experiment " + std::to_string(experiment_id));
  q.bind(1, experiment_id).bind(2, round_id);
  std::vector<SamplerOriginRecord> result;
  while (q.step())
    result.push_back({q.int64(0), q.text(1), q.text(2), q.text(3), q.text(4), q.text(5), q.text(6), q.text(7),
                      q.text(8)});
  return result;
}

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
