// Experiments and their rounds, with what a run writes about them as it goes: each round's
// metrics and the experiment's event log. These are the run's small tables; the per-sample
// ones live in store_samples.cpp and store_eval.cpp.
#include "store/store.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>

#include "core/error.h"
#include "store/store_internal.h"

namespace tpt::store {

// ---- experiments and rounds ----------------------------------------------------------

std::int64_t Store::create_experiment(const ExperimentRecord& experiment) {
  impl_->require_writable("create an experiment");
  std::string scratch;
  impl_->db
      .query("INSERT INTO experiments(name, config_json, created_at) VALUES (?1, ?2, ?3)",
             "create experiment \"" + experiment.name + "\"")
      .bind(1, experiment.name)
      .bind(2, experiment.config_json)
      .bind(3, detail::or_now(experiment.created_at, scratch))
      .run();
  return impl_->db.last_insert_id();
}

namespace {
const char* experiment_columns =
    "SELECT id, name, config_json, created_at, state, state_detail FROM experiments";

ExperimentRecord read_experiment(Query& q) {
  return {q.int64(0), q.text(1), q.text(2), q.text(3), q.text(4), q.text(5)};
}
}  // namespace

std::optional<ExperimentRecord> Store::find_experiment(const std::string& name) {
  auto q = impl_->db.query(std::string(experiment_columns) + " WHERE name = ?1",
                           "find experiment \"" + name + "\"");
  q.bind(1, name);
  if (!q.step()) return std::nullopt;
  return read_experiment(q);
}

std::vector<ExperimentRecord> Store::list_experiments() {
  auto q = impl_->db.query(std::string(experiment_columns) + " ORDER BY id", "list experiments");
  std::vector<ExperimentRecord> result;
  while (q.step()) result.push_back(read_experiment(q));
  return result;
}

void Store::set_experiment_config(std::int64_t experiment_id, const std::string& config_json) {
  impl_->require_writable("store an experiment's settings");
  const std::string what = "store the settings of experiment " + std::to_string(experiment_id);
  impl_->db.query("UPDATE experiments SET config_json = ?2 WHERE id = ?1", what)
      .bind(1, experiment_id)
      .bind(2, config_json)
      .run();
  if (impl_->db.changes() == 0) throw Error(path() + ": cannot " + what + ": no such experiment");
}

void Store::set_experiment_state(std::int64_t experiment_id, const std::string& state,
                                 const std::string& detail) {
  impl_->require_writable("set an experiment's state");
  const std::string what = "set the state of experiment " + std::to_string(experiment_id);
  impl_->db.query("UPDATE experiments SET state = ?2, state_detail = ?3 WHERE id = ?1", what)
      .bind(1, experiment_id)
      .bind(2, state)
      .bind(3, detail)
      .run();
  if (impl_->db.changes() == 0) throw Error(path() + ": cannot " + what + ": no such experiment");
}

std::int64_t Store::ensure_round(std::int64_t experiment_id, int round_index) {
  impl_->require_writable("create a round");
  const std::string what = "create round " + std::to_string(round_index) + " of experiment " +
                           std::to_string(experiment_id);
  const std::string now = detail::now_utc();
  impl_->db
      .query("INSERT INTO rounds(experiment_id, round_index, created_at, updated_at)"
             " VALUES (?1, ?2, ?3, ?3) ON CONFLICT(experiment_id, round_index) DO NOTHING",
             what)
      .bind(1, experiment_id)
      .bind(2, round_index)
      .bind(3, now)
      .run();
  auto q = impl_->db.query("SELECT id FROM rounds WHERE experiment_id = ?1 AND round_index = ?2",
                           what);
  q.bind(1, experiment_id).bind(2, round_index);
  if (!q.step()) impl_->db.fail(what);
  return q.int64(0);
}

namespace {
namespace fs = std::filesystem;

// The experiment folder: the one that holds the database.
fs::path experiment_folder(const std::string& store_path) {
  return fs::absolute(fs::path(store_path)).lexically_normal().parent_path();
}

// A model folder inside the experiment as stored: relative to the experiment folder.
std::string stored_model_path(const std::string& store_path, const std::string& model_path) {
  if (model_path.empty() || fs::path(model_path).is_relative()) return model_path;
  const fs::path folder = experiment_folder(store_path);
  const fs::path relative = fs::path(model_path).lexically_normal().lexically_relative(folder);
  if (relative.empty() || *relative.begin() == "..") return model_path;  // outside: the base model, kept as given
  return relative.generic_string();
}

// The stored path made absolute against this experiment's folder. Databases written before
// paths were stored relative hold absolute ones: a "…/models/round-N" of another folder is
// that folder's copy of this experiment's own models/round-N (the folder was copied or moved),
// and the model digest still checks that the folder holds what the round trained.
std::string resolved_model_path(const std::string& store_path, const std::string& stored) {
  if (stored.empty()) return stored;
  const fs::path folder = experiment_folder(store_path);
  const fs::path path(stored);
  if (path.is_relative()) return (folder / path).lexically_normal().string();
  const fs::path normal = path.lexically_normal();
  const std::string leaf = normal.filename().string();
  const bool round_folder = leaf.rfind("round-", 0) == 0 && leaf.size() > 6 &&
                            leaf.find_first_not_of("0123456789", 6) == std::string::npos &&
                            normal.parent_path().filename() == "models";
  if (round_folder && normal.parent_path().parent_path() != folder) return (folder / "models" / leaf).string();
  return stored;
}

const char* round_columns =
    "SELECT id, experiment_id, round_index, state, model_path, created_at, updated_at, config_json, model_digest"
    " FROM rounds";

RoundRecord read_round(Query& q, const std::string& store_path) {
  RoundRecord r;
  r.id = q.int64(0);
  r.experiment_id = q.int64(1);
  r.round_index = static_cast<int>(q.int64(2));
  const std::string state = q.text(3);
  const auto parsed = parse_round_state(state);
  if (!parsed)
    throw Error("round " + std::to_string(r.round_index) + " has the unknown state \"" + state +
                "\" (a newer version of TPT Workbench wrote this experiment?)");
  r.state = *parsed;
  r.model_path = resolved_model_path(store_path, q.text(4));
  r.created_at = q.text(5);
  r.updated_at = q.text(6);
  r.config_json = q.text(7);
  r.model_digest = q.text(8);
  return r;
}
}  // namespace

std::optional<RoundRecord> Store::get_round(std::int64_t round_id) {
  auto q = impl_->db.query(std::string(round_columns) + " WHERE id = ?1",
                           "read round " + std::to_string(round_id));
  q.bind(1, round_id);
  if (!q.step()) return std::nullopt;
  return read_round(q, path());
}

std::vector<RoundRecord> Store::list_rounds(std::int64_t experiment_id) {
  auto q = impl_->db.query(
      std::string(round_columns) + " WHERE experiment_id = ?1 ORDER BY round_index",
      "list the rounds of experiment " + std::to_string(experiment_id));
  q.bind(1, experiment_id);
  std::vector<RoundRecord> result;
  while (q.step()) result.push_back(read_round(q, path()));
  return result;
}

void Store::set_round_state(std::int64_t round_id, RoundState state) {
  impl_->require_writable("set a round's state");
  const std::string what = "set the state of round " + std::to_string(round_id) + " to \"" + to_string(state) + "\"";
  impl_->db.query("UPDATE rounds SET state = ?2, updated_at = ?3 WHERE id = ?1", what)
      .bind(1, round_id)
      .bind(2, to_string(state))
      .bind(3, detail::now_utc())
      .run();
  if (impl_->db.changes() == 0) throw Error(path() + ": cannot " + what + ": no such round");
}

void Store::set_round_model_path(std::int64_t round_id, const std::string& model_path, const std::string& model_digest) {
  impl_->require_writable("set a round's model path");
  const std::string what = "set the model path of round " + std::to_string(round_id);
  impl_->db.query("UPDATE rounds SET model_path = ?2, model_digest = ?3, updated_at = ?4 WHERE id = ?1", what)
      .bind(1, round_id)
      .bind(2, stored_model_path(path(), model_path))
      .bind(3, model_digest)
      .bind(4, detail::now_utc())
      .run();
  if (impl_->db.changes() == 0) throw Error(path() + ": cannot " + what + ": no such round");
}

void Store::set_round_config(std::int64_t round_id, const std::string& config_json) {
  impl_->require_writable("store a round's settings");
  const std::string what = "store the settings of round " + std::to_string(round_id);
  impl_->db.query("UPDATE rounds SET config_json = ?2, updated_at = ?3 WHERE id = ?1", what)
      .bind(1, round_id)
      .bind(2, config_json)
      .bind(3, detail::now_utc())
      .run();
  if (impl_->db.changes() == 0) throw Error(path() + ": cannot " + what + ": no such round");
}


// ---- metrics -------------------------------------------------------------------------

void Store::put_metric(std::int64_t round_id, const std::string& name, double value) {
  put_metrics(round_id, {{name, value}});
}

void Store::put_metrics(std::int64_t round_id, const std::map<std::string, double>& metrics) {
  impl_->require_writable("store metrics");
  Transaction transaction(impl_->db);
  auto q = impl_->db.query(
      "INSERT INTO metrics(round_id, name, value) VALUES (?1, ?2, ?3)"
      " ON CONFLICT(round_id, name) DO UPDATE SET value = excluded.value",
      "store metrics of round " + std::to_string(round_id));
  for (const auto& [name, value] : metrics) {
    q.bind(1, round_id).bind(2, name);
    if (std::isnan(value)) {
      q.bind_null(3);
    } else {
      q.bind(3, value);
    }
    q.run();
    q.reset();
  }
  transaction.commit();
}

std::map<std::string, double> Store::get_metrics(std::int64_t round_id) {
  auto q = impl_->db.query("SELECT name, value FROM metrics WHERE round_id = ?1",
                           "read metrics of round " + std::to_string(round_id));
  q.bind(1, round_id);
  std::map<std::string, double> result;
  while (q.step()) {
    result[q.text(0)] = q.is_null(1) ? std::numeric_limits<double>::quiet_NaN() : q.real(1);
  }
  return result;
}

// ---- events --------------------------------------------------------------------------

std::int64_t Store::log_event(const EventRecord& e) {
  impl_->require_writable("log an event");
  std::string scratch;
  impl_->db
      .query("INSERT INTO events(experiment_id, round_id, time, level, phase, message)"
             " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
             "log an event")
      .bind(1, e.experiment_id)
      .bind(2, e.round_id)
      .bind(3, detail::or_now(e.time, scratch))
      .bind(4, e.level)
      .bind(5, e.phase)
      .bind(6, e.message)
      .run();
  return impl_->db.last_insert_id();
}

std::vector<EventRecord> Store::list_events(std::int64_t experiment_id, std::int64_t after_event_id,
                                            int limit) {
  auto q = impl_->db.query(
      "SELECT id, experiment_id, time, level, phase, message, round_id FROM events"
      " WHERE experiment_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
      "list events");
  q.bind(1, experiment_id).bind(2, after_event_id).bind(3, limit);
  std::vector<EventRecord> result;
  while (q.step()) {
    result.push_back({q.int64(0), q.int64(1), q.text(2), q.text(3), q.text(4), q.text(5),
                      q.optional_int64(6)});
  }
  return result;
}

}  // namespace tpt::store
