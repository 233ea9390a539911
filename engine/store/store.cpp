#include "store/store.h"

#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "store/schema.h"

namespace tpt::store {

namespace {

// Database columns hold these as text; a value the code does not know means a damaged or
// foreign file, which the caller reports with the file's name.
Verdict parse_verdict(const std::string& name) {
  if (auto v = prune::parse_verdict(name)) return *v;
  throw Error("unknown verdict \"" + name + "\": expected \"correct\", \"wrong\" or \"no_answer\"");
}

Label parse_label(const std::string& name) {
  auto label = prune::parse_annotation_label(name);
  if (label && *label != Label::None) return *label;
  throw Error("unknown annotation label \"" + name + "\": expected \"accept\", \"reject\" or \"flag\"");
}

std::string now_utc() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t seconds = system_clock::to_time_t(now);
  const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return text;
}

const std::string& or_now(const std::string& time, std::string& scratch) {
  if (!time.empty()) return time;
  scratch = now_utc();
  return scratch;
}

// Length of the valid UTF-8 sequence at text[i], or 0 when the bytes there are not one.
size_t utf8_length(const std::string& text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xe ? 3 : (lead >> 3) == 0x1e ? 4 : 0;
  if (length == 0 || i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  }
  return length;
}

// A JSON string literal. Invalid UTF-8 (a reason cut mid-character, say) becomes U+FFFD, so
// the stored array always parses again.
void append_json_string(std::string& out, const std::string& text) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const size_t length = utf8_length(text, i);
    if (length == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (length > 1) {
      out.append(text, i, length);
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
    i += length;
  }
  out += '"';
}

// Written by hand: this runs once per decision, a million times per re-prune, and building
// nlohmann::json objects for it cost more than the database insert itself.
std::string rules_to_json(const std::vector<RuleVerdict>& rules) {
  std::string out = "[";
  for (const auto& rule : rules) {
    if (out.size() > 1) out += ',';
    out += "{\"rule\":";
    append_json_string(out, rule.rule);
    out += ",\"outcome\":\"";
    out += prune::to_string(rule.outcome);
    out += '"';
    out += ",\"reason\":";
    append_json_string(out, rule.reason);
    out += '}';
  }
  return out + "]";
}

std::vector<RuleVerdict> rules_from_json(const std::string& path, std::int64_t sample_id,
                                         const std::string& text) {
  std::vector<RuleVerdict> rules;
  try {
    for (const auto& item : nlohmann::json::parse(text)) {
      const std::string outcome = item.value("outcome", "");
      const auto parsed = prune::parse_outcome(outcome);
      if (!parsed) throw Error("unknown rule outcome \"" + outcome + "\"");
      rules.push_back({item.value("rule", ""), *parsed, item.value("reason", "")});
    }
  } catch (const std::exception& e) {
    throw Error(path + ": cannot read the rule verdicts of sample " + std::to_string(sample_id) +
                ": " + e.what());
  }
  return rules;
}

// LIKE pattern for "contains `needle`", with LIKE's own wildcards taken literally.
std::string like_pattern(const std::string& needle) {
  std::string pattern = "%";
  for (char c : needle) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  return pattern + "%";
}

// A value bound to a '?' of a generated query.
struct Param {
  bool is_text = false;
  std::int64_t number = 0;
  std::string text;
};

// The list_samples / count_samples query for one filter.
//
// The page query must be a single index range scan in sample-id order that stops after
// `limit` rows, whatever the filter. The SQL is therefore written for one chosen "driver"
// index (the most selective filter that has an id-ordered index), and the other conditions are
// written with SQLite's unary '+', which forbids their use as index keys: the plan is fixed by
// the code, not left to statistics that may be missing on a freshly written file. CROSS JOIN
// fixes the join order the same way.
struct SampleQuery {
  bool matches_nothing = false;
  std::string from;
  std::vector<std::string> conditions;
  std::vector<Param> params;
  std::string id_column;  // what the keyset and ORDER BY use
  // For counting: the same, without the join to samples when no condition needs it, so a
  // decision filter counts inside its index.
  std::string count_from;

  void add(std::string condition) { conditions.push_back(std::move(condition)); }
  void add(std::string condition, std::int64_t value) {
    conditions.push_back(std::move(condition));
    params.push_back({false, value, {}});
  }
  void add(std::string condition, std::string value) {
    conditions.push_back(std::move(condition));
    params.push_back({true, 0, std::move(value)});
  }
  std::string where() const {
    std::string text;
    for (const auto& condition : conditions) text += (text.empty() ? " WHERE " : " AND ") + condition;
    return text;
  }
};

enum class Driver {
  problem,        // samples_by_problem: a problem has rounds × k samples
  label,          // samples_by_label / samples_annotated: annotations are few
  rule,           // decisions_by_rule (round, dropped_by, id)
  verdict,        // decisions_by_verdict (round, verdict, id)
  kept,           // decisions_by_kept (round, kept, id)
  round,          // samples_by_round
  decisions_all,  // decision filters without a round: walk decisions (narrower than samples)
  samples_all,    // no indexed filter: walk samples by id
};

void bind_params(Query& q, const std::vector<Param>& params, int first = 1) {
  int index = first;
  for (const auto& p : params) {
    if (p.is_text) {
      q.bind(index++, p.text);
    } else {
      q.bind(index++, p.number);
    }
  }
}

}  // namespace

// ---- Store ---------------------------------------------------------------------------

struct Store::Impl {
  Database db;

  Impl(const std::string& path, OpenMode mode) : db(path, mode) {
    if (mode == OpenMode::read_write) {
      migrate(db);
    } else {
      require_latest_schema(db);
    }
  }

  void require_writable(const char* what) const {
    if (db.mode() == OpenMode::read_only) {
      throw Error(db.path() + ": cannot " + what + ": the database is open read-only");
    }
  }

  SampleQuery build(const SampleFilter& filter);
  SampleRecord read_sample(Query& q, int first);
};

Store::Store(const std::string& path, OpenMode mode) : impl_(std::make_unique<Impl>(path, mode)) {}
Store::~Store() = default;
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;

const std::string& Store::path() const { return impl_->db.path(); }
OpenMode Store::mode() const { return impl_->db.mode(); }
Database& Store::database() { return impl_->db; }

Transaction Store::transaction() {
  impl_->require_writable("begin a transaction");
  return Transaction(impl_->db);
}

// ---- experiments and rounds ----------------------------------------------------------

std::int64_t Store::create_experiment(const ExperimentRecord& experiment) {
  impl_->require_writable("create an experiment");
  std::string scratch;
  impl_->db
      .query("INSERT INTO experiments(name, config_json, created_at) VALUES (?1, ?2, ?3)",
             "create experiment \"" + experiment.name + "\"")
      .bind(1, experiment.name)
      .bind(2, experiment.config_json)
      .bind(3, or_now(experiment.created_at, scratch))
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
  const std::string now = now_utc();
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
const char* round_columns =
    "SELECT id, experiment_id, round_index, state, model_path, created_at, updated_at, config_json"
    " FROM rounds";

RoundRecord read_round(Query& q) {
  RoundRecord r;
  r.id = q.int64(0);
  r.experiment_id = q.int64(1);
  r.round_index = static_cast<int>(q.int64(2));
  r.state = q.text(3);
  r.model_path = q.text(4);
  r.created_at = q.text(5);
  r.updated_at = q.text(6);
  r.config_json = q.text(7);
  return r;
}
}  // namespace

std::optional<RoundRecord> Store::get_round(std::int64_t round_id) {
  auto q = impl_->db.query(std::string(round_columns) + " WHERE id = ?1",
                           "read round " + std::to_string(round_id));
  q.bind(1, round_id);
  if (!q.step()) return std::nullopt;
  return read_round(q);
}

std::vector<RoundRecord> Store::list_rounds(std::int64_t experiment_id) {
  auto q = impl_->db.query(
      std::string(round_columns) + " WHERE experiment_id = ?1 ORDER BY round_index",
      "list the rounds of experiment " + std::to_string(experiment_id));
  q.bind(1, experiment_id);
  std::vector<RoundRecord> result;
  while (q.step()) result.push_back(read_round(q));
  return result;
}

void Store::set_round_state(std::int64_t round_id, const std::string& state) {
  impl_->require_writable("set a round's state");
  const std::string what = "set the state of round " + std::to_string(round_id) + " to \"" + state + "\"";
  impl_->db.query("UPDATE rounds SET state = ?2, updated_at = ?3 WHERE id = ?1", what)
      .bind(1, round_id)
      .bind(2, state)
      .bind(3, now_utc())
      .run();
  if (impl_->db.changes() == 0) throw Error(path() + ": cannot " + what + ": no such round");
}

void Store::set_round_model_path(std::int64_t round_id, const std::string& model_path) {
  impl_->require_writable("set a round's model path");
  const std::string what = "set the model path of round " + std::to_string(round_id);
  impl_->db.query("UPDATE rounds SET model_path = ?2, updated_at = ?3 WHERE id = ?1", what)
      .bind(1, round_id)
      .bind(2, model_path)
      .bind(3, now_utc())
      .run();
  if (impl_->db.changes() == 0) throw Error(path() + ": cannot " + what + ": no such round");
}

void Store::set_round_config(std::int64_t round_id, const std::string& config_json) {
  impl_->require_writable("store a round's settings");
  const std::string what = "store the settings of round " + std::to_string(round_id);
  impl_->db.query("UPDATE rounds SET config_json = ?2, updated_at = ?3 WHERE id = ?1", what)
      .bind(1, round_id)
      .bind(2, config_json)
      .bind(3, now_utc())
      .run();
  if (impl_->db.changes() == 0) throw Error(path() + ": cannot " + what + ": no such round");
}

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

// ---- samples -------------------------------------------------------------------------

namespace {
// Inserts rows keyed by (round_id, problem_id, sample_index) — Think's samples and Improve's
// answers — in one transaction. `bind` fills parameters ?1..?N of one record (?1..?3 being the
// key); with OnConflict::ignore a row already stored is kept and its id reported, which is how
// a resumed phase skips what the lost run had committed.
template <typename Record, typename Bind>
InsertResult insert_keyed(Database& db, const std::string& table, const std::string& columns, int parameters,
                          const std::vector<Record>& records, OnConflict on_conflict, const std::string& what,
                          const Bind& bind) {
  InsertResult result;
  result.ids.reserve(records.size());
  Transaction transaction(db);
  const bool ignore = on_conflict == OnConflict::ignore;
  std::string values;
  for (int i = 1; i <= parameters; ++i) values += (i > 1 ? ", ?" : "?") + std::to_string(i);
  // Two statements rather than one with a bound policy: each stays prepared in the cache.
  auto insert = db.query("INSERT INTO " + table + "(" + columns + ") VALUES (" + values + ")" +
                             (ignore ? " ON CONFLICT(round_id, problem_id, sample_index) DO NOTHING" : ""),
                         what);
  std::optional<Query> find;
  for (const auto& r : records) {
    bind(insert, r);
    try {
      insert.run();
    } catch (const Error& e) {
      std::string message = std::string(e.what()) + " (round id " + std::to_string(r.round_id) + ", problem id " +
                            std::to_string(r.problem_id) + ", sample index " + std::to_string(r.sample_index) + ")";
      if (db.last_error_code() == SQLITE_CONSTRAINT_UNIQUE) {
        message += "; that row is already stored (pass OnConflict::ignore to skip stored rows when resuming)";
      }
      throw Error(message);
    }
    insert.reset();
    if (db.changes() > 0) {
      result.ids.push_back(db.last_insert_id());
      ++result.inserted;
      continue;
    }
    if (!find) {
      find.emplace(db.query("SELECT id FROM " + table +
                                " WHERE round_id = ?1 AND problem_id = ?2 AND sample_index = ?3",
                            "find a stored row of " + table));
    }
    find->bind(1, r.round_id).bind(2, r.problem_id).bind(3, r.sample_index);
    if (!find->step()) db.fail("find a stored row of " + table);
    result.ids.push_back(find->int64(0));
    find->reset();
  }
  transaction.commit();
  return result;
}
}  // namespace

InsertResult Store::insert_samples(const std::vector<SampleRecord>& samples,
                                   OnConflict on_conflict) {
  impl_->require_writable("insert samples");
  const std::string now = now_utc();
  return insert_keyed(impl_->db, "samples",
                      "round_id, problem_id, sample_index, token_count, finish_reason, seed, temperature, top_p,"
                      " top_k, max_new_tokens, created_at, text",
                      12, samples, on_conflict, "insert samples", [&](Query& q, const SampleRecord& s) {
                        q.bind(1, s.round_id).bind(2, s.problem_id).bind(3, s.sample_index);
                        q.bind(4, s.token_count).bind(5, s.finish_reason);
                        // The seed is a full 64-bit pattern; SQLite integers are signed: store the bits.
                        q.bind(6, static_cast<std::int64_t>(s.seed));
                        q.bind(7, s.sampling.temperature).bind(8, s.sampling.top_p);
                        q.bind(9, s.sampling.top_k).bind(10, s.sampling.max_new_tokens);
                        q.bind(11, s.created_at.empty() ? now : s.created_at).bind(12, s.text);
                      });
}

SampleRecord Store::Impl::read_sample(Query& q, int c) {
  SampleRecord s;
  s.id = q.int64(c + 0);
  s.round_id = q.int64(c + 1);
  s.problem_id = q.int64(c + 2);
  s.sample_index = static_cast<int>(q.int64(c + 3));
  s.token_count = static_cast<int>(q.int64(c + 4));
  s.finish_reason = q.text(c + 5);
  s.seed = static_cast<std::uint64_t>(q.int64(c + 6));
  s.sampling.temperature = q.real(c + 7);
  s.sampling.top_p = q.real(c + 8);
  s.sampling.top_k = static_cast<int>(q.int64(c + 9));
  s.sampling.max_new_tokens = static_cast<int>(q.int64(c + 10));
  s.created_at = q.text(c + 11);
  s.text = q.text(c + 12);
  return s;
}

std::optional<SampleDetail> Store::get_sample(std::int64_t sample_id) {
  auto& db = impl_->db;
  const std::string what = "read sample " + std::to_string(sample_id);
  SampleDetail detail;
  {
    auto q = db.query(
        "SELECT s.id, s.round_id, s.problem_id, s.sample_index, s.token_count, s.finish_reason,"
        " s.seed, s.temperature, s.top_p, s.top_k, s.max_new_tokens, s.created_at, s.text,"
        " r.round_index, p.id, p.experiment_id, p.split, p.problem_key, p.question, p.solution,"
        " p.gold"
        " FROM samples s JOIN rounds r ON r.id = s.round_id JOIN problems p ON p.id = s.problem_id"
        " WHERE s.id = ?1",
        what);
    q.bind(1, sample_id);
    if (!q.step()) return std::nullopt;
    detail.sample = impl_->read_sample(q, 0);
    detail.round_index = static_cast<int>(q.int64(13));
    detail.problem = {q.int64(14), q.int64(15), q.text(16), q.text(17),
                      q.text(18),  q.text(19),  q.text(20)};
  }
  {
    auto q = db.query(
        "SELECT kept, dropped_by, reason, extracted, verdict, rule_verdicts, decided_at"
        " FROM decisions WHERE sample_id = ?1",
        what);
    q.bind(1, sample_id);
    if (q.step()) {
      DecisionRecord d;
      d.sample_id = sample_id;
      d.kept = q.int64(0) != 0;
      d.dropped_by = q.text(1);
      d.reason = q.text(2);
      d.extracted = q.optional_text(3);
      d.verdict = parse_verdict(q.text(4));
      d.rules = rules_from_json(path(), sample_id, q.text(5));
      d.decided_at = q.text(6);
      detail.decision = std::move(d);
    }
  }
  {
    auto q = db.query(
        "SELECT id, sample_id, annotator, label, comment, created_at FROM annotations"
        " WHERE sample_id = ?1 ORDER BY id",
        what);
    q.bind(1, sample_id);
    while (q.step()) {
      detail.annotations.push_back(
          {q.int64(0), q.int64(1), q.text(2), parse_label(q.text(3)), q.text(4), q.text(5)});
    }
  }
  return detail;
}

SampleQuery Store::Impl::build(const SampleFilter& f) {
  SampleQuery sq;

  std::optional<std::int64_t> round_id = f.round_id;
  if (f.round_index) {
    auto q = db.query(
        "SELECT id FROM rounds WHERE round_index = ?1 AND (?2 IS NULL OR experiment_id = ?2)",
        "find round " + std::to_string(*f.round_index));
    q.bind(1, *f.round_index).bind(2, f.experiment_id);
    std::vector<std::int64_t> ids;
    while (q.step()) ids.push_back(q.int64(0));
    if (ids.size() > 1) {
      throw Error(db.path() + ": round index " + std::to_string(*f.round_index) +
                  " is ambiguous: the database holds several experiments; set the filter's"
                  " experiment_id");
    }
    if (ids.empty() || (round_id && *round_id != ids[0])) {
      sq.matches_nothing = true;
      return sq;
    }
    round_id = ids[0];
  }

  const bool decision_filter = f.verdict || f.kept || f.dropped_by;
  Driver driver = Driver::samples_all;
  if (f.problem_id) {
    driver = Driver::problem;
  } else if (f.latest_label || f.annotated.value_or(false)) {
    driver = Driver::label;
  } else if (round_id && f.dropped_by) {
    driver = Driver::rule;
  } else if (round_id && f.verdict) {
    driver = Driver::verdict;
  } else if (round_id && f.kept) {
    driver = Driver::kept;
  } else if (round_id) {
    driver = Driver::round;
  } else if (decision_filter) {
    driver = Driver::decisions_all;
  }
  const bool from_decisions = driver == Driver::rule || driver == Driver::verdict ||
                              driver == Driver::kept || driver == Driver::decisions_all;
  const bool samples_conditions = f.problem_id || f.latest_label || f.annotated ||
                                  f.text_contains || (!round_id && f.experiment_id);
  if (from_decisions) {
    sq.from = " FROM decisions d CROSS JOIN samples s ON s.id = d.sample_id";
    if (!samples_conditions) sq.count_from = " FROM decisions d";
    sq.id_column = "d.sample_id";
  } else if (decision_filter) {
    sq.from = " FROM samples s CROSS JOIN decisions d ON d.sample_id = s.id";
    sq.id_column = "s.id";
  } else {
    sq.from = " FROM samples s LEFT JOIN decisions d ON d.sample_id = s.id";
    // The LEFT JOIN is on a unique key: it cannot change the count, and without it SQLite
    // counts a bare table from its smallest index instead of walking the texts.
    sq.count_from = " FROM samples s";
    sq.id_column = "s.id";
  }
  // An index key only for the driver; '+' keeps every other condition a plain row test.
  auto key = [&](Driver d) { return driver == d ? "" : "+"; };

  if (round_id) {
    if (from_decisions) {
      sq.add(std::string(driver == Driver::decisions_all ? "+" : "") + "d.round_id = ?", *round_id);
    } else {
      sq.add(std::string(key(Driver::round)) + "s.round_id = ?", *round_id);
    }
  } else if (f.experiment_id) {
    sq.add("+s.round_id IN (SELECT id FROM rounds WHERE experiment_id = ?)", *f.experiment_id);
  }
  if (f.problem_id) sq.add(std::string(key(Driver::problem)) + "s.problem_id = ?", *f.problem_id);
  if (f.verdict) sq.add(std::string(key(Driver::verdict)) + "d.verdict = ?", to_string(*f.verdict));
  if (f.kept) sq.add(std::string(key(Driver::kept)) + "d.kept = ?", std::int64_t{*f.kept ? 1 : 0});
  if (f.dropped_by) sq.add(std::string(key(Driver::rule)) + "d.dropped_by = ?", *f.dropped_by);
  if (f.latest_label) {
    sq.add(std::string(key(Driver::label)) + "s.annotation_label = ?", to_string(*f.latest_label));
  } else if (f.annotated) {
    // A partial index covers only labelled rows, so "not annotated" is never a driver.
    sq.add(*f.annotated ? std::string(key(Driver::label)) + "s.annotation_label IS NOT NULL"
                        : std::string("+s.annotation_label IS NULL"));
  }
  if (f.latest_label && f.annotated && !*f.annotated) sq.matches_nothing = true;
  if (sq.count_from.empty()) sq.count_from = sq.from;
  if (f.text_contains) sq.add("s.text LIKE ? ESCAPE '\\'", like_pattern(*f.text_contains));
  return sq;
}

namespace {
std::string page_sql(const SampleQuery& sq) {
  // Round index and problem key come from correlated lookups, evaluated for the page's rows
  // only, so the join order of the scan stays the one built above.
  return "SELECT s.id, (SELECT round_index FROM rounds WHERE id = s.round_id),"
         " (SELECT problem_key FROM problems WHERE id = s.problem_id), s.sample_index,"
         " s.token_count, s.finish_reason, d.extracted, d.verdict, d.kept, d.dropped_by,"
         " s.annotation_label" +
         sq.from + sq.where() + (sq.conditions.empty() ? " WHERE " : " AND ") + sq.id_column +
         " > ? ORDER BY " + sq.id_column + " LIMIT ?";
}
}  // namespace

std::vector<SampleRow> Store::list_samples(const SampleFilter& filter, std::int64_t after_sample_id,
                                           int limit) {
  std::vector<SampleRow> rows;
  SampleQuery sq = impl_->build(filter);
  if (sq.matches_nothing || limit <= 0) return rows;
  auto q = impl_->db.query(page_sql(sq), "list samples");
  bind_params(q, sq.params);
  const int next = static_cast<int>(sq.params.size()) + 1;
  q.bind(next, after_sample_id).bind(next + 1, limit);
  rows.reserve(static_cast<size_t>(limit));
  while (q.step()) {
    SampleRow row;
    row.sample_id = q.int64(0);
    row.round_index = static_cast<int>(q.int64(1));
    row.problem_key = q.text(2);
    row.sample_index = static_cast<int>(q.int64(3));
    row.token_count = static_cast<int>(q.int64(4));
    row.finish_reason = q.text(5);
    row.extracted = q.optional_text(6);
    if (!q.is_null(7)) row.verdict = parse_verdict(q.text(7));
    if (!q.is_null(8)) row.kept = q.int64(8) != 0;
    row.dropped_by = q.text(9);
    if (!q.is_null(10)) row.latest_label = parse_label(q.text(10));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::int64_t Store::count_samples(const SampleFilter& filter) {
  SampleQuery sq = impl_->build(filter);
  if (sq.matches_nothing) return 0;
  auto q = impl_->db.query("SELECT count(*)" + sq.count_from + sq.where(), "count samples");
  bind_params(q, sq.params);
  return q.step() ? q.int64(0) : 0;
}

std::string Store::explain_list_samples(const SampleFilter& filter) {
  SampleQuery sq = impl_->build(filter);
  if (sq.matches_nothing) return "(matches nothing; no query)";
  auto q = impl_->db.query("EXPLAIN QUERY PLAN " + page_sql(sq), "explain a sample query");
  bind_params(q, sq.params);
  std::string plan;
  while (q.step()) plan += q.text(3) + "\n";
  return plan;
}

std::vector<SampleKey> Store::sample_keys(std::int64_t round_id) {
  auto q = impl_->db.query("SELECT problem_id, sample_index FROM samples WHERE round_id = ?1",
                           "list the samples of round " + std::to_string(round_id));
  q.bind(1, round_id);
  std::vector<SampleKey> keys;
  while (q.step()) keys.push_back({q.int64(0), static_cast<int>(q.int64(1))});
  return keys;
}

std::vector<prune::PruneSample> Store::prune_inputs(std::int64_t round_id) {
  // The latest annotation wins, as in the trace browser; its annotator names the override.
  auto q = impl_->db.query(
      "SELECT s.id, p.problem_key, s.text, p.gold, s.token_count, s.annotation_label,"
      " (SELECT annotator FROM annotations a WHERE a.sample_id = s.id ORDER BY a.id DESC LIMIT 1)"
      " FROM samples s JOIN problems p ON p.id = s.problem_id WHERE s.round_id = ?1 ORDER BY s.id",
      "read the samples of round " + std::to_string(round_id) + " for pruning");
  q.bind(1, round_id);
  std::vector<prune::PruneSample> result;
  while (q.step()) {
    prune::PruneSample s;
    s.id = q.int64(0);
    s.problem_key = q.text(1);
    s.completion = q.text(2);
    s.gold = q.text(3);
    s.token_count = q.int64(4);
    if (!q.is_null(5)) s.annotation = parse_label(q.text(5));
    s.annotator = q.optional_text(6).value_or("");
    result.push_back(std::move(s));
  }
  return result;
}

std::vector<KeptTrace> Store::kept_traces(const std::vector<std::int64_t>& round_ids) {
  auto q = impl_->db.query(
      "SELECT s.id, r.round_index, p.id, p.problem_key, p.question, s.text"
      " FROM decisions d CROSS JOIN samples s ON s.id = d.sample_id"
      " JOIN rounds r ON r.id = s.round_id JOIN problems p ON p.id = s.problem_id"
      " WHERE d.round_id = ?1 AND d.kept = 1 ORDER BY s.id",
      "read the kept traces");
  std::vector<KeptTrace> result;
  for (std::int64_t round_id : round_ids) {
    q.bind(1, round_id);
    while (q.step())
      result.push_back({q.int64(0), static_cast<int>(q.int64(1)), q.int64(2), q.text(3), q.text(4), q.text(5)});
    q.reset();
  }
  return result;
}

// ---- evaluation ----------------------------------------------------------------------

InsertResult Store::insert_eval_samples(const std::vector<EvalSampleRecord>& samples,
                                        OnConflict on_conflict) {
  impl_->require_writable("insert evaluation samples");
  const std::string now = now_utc();
  return insert_keyed(impl_->db, "eval_samples",
                      "round_id, problem_id, sample_index, token_count, finish_reason, seed, temperature,"
                      " extracted_strict, extracted_flexible, correct_strict, correct_flexible, created_at, text",
                      13, samples, on_conflict, "insert evaluation samples", [&](Query& q, const EvalSampleRecord& s) {
                        q.bind(1, s.round_id).bind(2, s.problem_id).bind(3, s.sample_index);
                        q.bind(4, s.token_count).bind(5, s.finish_reason);
                        q.bind(6, static_cast<std::int64_t>(s.seed)).bind(7, s.temperature);
                        q.bind(8, s.extracted_strict).bind(9, s.extracted_flexible);
                        q.bind(10, s.correct_strict ? 1 : 0).bind(11, s.correct_flexible ? 1 : 0);
                        q.bind(12, s.created_at.empty() ? now : s.created_at).bind(13, s.text);
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
      " temperature, extracted_strict, extracted_flexible, correct_strict, correct_flexible, created_at"
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
    result.push_back(std::move(e));
  }
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

// ---- decisions -----------------------------------------------------------------------

void Store::write_decisions(const std::vector<DecisionRecord>& decisions) {
  impl_->require_writable("write decisions");
  Transaction transaction(impl_->db);
  // INSERT ... SELECT takes the round from the sample and inserts nothing when the sample is
  // missing, which is reported below in words rather than as a NOT NULL failure.
  auto q = impl_->db.query(
      "INSERT INTO decisions(sample_id, round_id, kept, dropped_by, reason, extracted, verdict,"
      " rule_verdicts, decided_at)"
      " SELECT id, round_id, ?2, ?3, ?4, ?5, ?6, ?7, ?8 FROM samples WHERE id = ?1"
      " ON CONFLICT(sample_id) DO UPDATE SET kept = excluded.kept,"
      " dropped_by = excluded.dropped_by, reason = excluded.reason,"
      " extracted = excluded.extracted, verdict = excluded.verdict,"
      " rule_verdicts = excluded.rule_verdicts, decided_at = excluded.decided_at",
      "write decisions");
  const std::string now = now_utc();
  for (const auto& d : decisions) {
    const std::string what = "write the decision of sample " + std::to_string(d.sample_id);
    if (d.kept != d.dropped_by.empty()) {
      throw Error(path() + ": cannot " + what +
                  ": a kept sample has no dropped_by rule and a dropped one must name it");
    }
    q.bind(1, d.sample_id).bind(2, d.kept ? 1 : 0);
    if (d.kept) {
      q.bind_null(3);
    } else {
      q.bind(3, d.dropped_by);
    }
    q.bind(4, d.reason).bind(5, d.extracted).bind(6, to_string(d.verdict));
    q.bind(7, rules_to_json(d.rules)).bind(8, d.decided_at.empty() ? now : d.decided_at);
    q.run();
    q.reset();
    if (impl_->db.changes() == 0) throw Error(path() + ": cannot " + what + ": no such sample");
  }
  transaction.commit();
}

void Store::clear_decisions(std::int64_t round_id) {
  impl_->require_writable("clear decisions");
  impl_->db.query("DELETE FROM decisions WHERE round_id = ?1",
                  "clear the decisions of round " + std::to_string(round_id))
      .bind(1, round_id)
      .run();
}

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
      .bind(5, or_now(a.time, scratch))
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
      .bind(3, or_now(e.time, scratch))
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

// ---- health --------------------------------------------------------------------------

int Store::schema_version() { return impl_->db.user_version(); }

std::string Store::journal_mode() {
  return impl_->db.scalar_text("PRAGMA journal_mode", "read the journal mode");
}

bool Store::foreign_keys_enabled() {
  return impl_->db.scalar_int64("PRAGMA foreign_keys", "read the foreign key setting") != 0;
}

std::vector<std::string> Store::integrity_check() {
  auto q = impl_->db.query("PRAGMA integrity_check", "check the database's integrity");
  std::vector<std::string> result;
  while (q.step()) result.push_back(q.text(0));
  return result;
}

void Store::optimize() {
  impl_->require_writable("optimize");
  // A bounded sample per index: seconds at most, even on millions of rows.
  impl_->db.exec("PRAGMA analysis_limit = 1000; ANALYZE", "analyze the database");
}

}  // namespace tpt::store
