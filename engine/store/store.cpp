// The Store itself: opening (and migrating) the file, transactions, the health checks, and
// the helpers every table group shares (store_internal.h). The table groups' methods live
// beside it, one file each: store_experiments.cpp (experiments, rounds, metrics, events),
// store_problems.cpp, store_samples.cpp (samples, decisions, what Prune and Train read),
// store_trace_browser.cpp, store_eval.cpp, store_annotations.cpp and store_train.cpp.
#include "store/store.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "core/error.h"
#include "store/schema.h"
#include "store/store_internal.h"

namespace tpt::store {

namespace detail {

Verdict parse_verdict(const std::string& name) {
  if (auto v = prune::parse_verdict(name)) return *v;
  throw Error("unknown verdict \"" + name + "\": expected \"correct\", \"wrong\" or \"no_answer\"");
}

Label parse_label(const std::string& name) {
  auto label = prune::parse_annotation_label(name);
  if (label && *label != Label::None) return *label;
  throw Error("unknown annotation label \"" + name + "\": expected \"accept\", \"reject\" or \"flag\"");
}

AnnotationState parse_annotation_state(const std::string& name) {
  if (auto state = store::parse_annotation_state(name)) return *state;
  throw Error("unknown annotation state \"" + name + "\": expected \"current\", \"superseded\" or \"undone\"");
}

StoredAnnotation read_annotation(Query& q, const std::string& path) {
  StoredAnnotation a;
  a.id = q.int64(0);
  a.sample_id = q.int64(1);
  a.annotator = q.text(2);
  try {
    a.label = parse_label(q.text(3));
    a.state = parse_annotation_state(q.text(6));
  } catch (const Error& e) {
    throw Error(path + ": annotation " + std::to_string(a.id) + ": " + e.what());
  }
  a.comment = q.text(4);
  a.time = q.text(5);
  a.replaces = q.optional_int64(7).value_or(0);
  a.replaced_at = q.optional_text(8).value_or("");
  return a;
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

}  // namespace detail

// ---- Store ---------------------------------------------------------------------------

namespace {

// A damaged file must not be read as if it were whole: after random bit flips SQLite still
// answers counts from the parts it can reach, and a run would build on them. quick_check reads
// every page once (O(file), without the index cross-checks of integrity_check): a fraction of a
// second for an experiment's database.
void refuse_if_damaged(Database& db) {
  std::string problem;
  try {
    auto q = db.query("PRAGMA quick_check(3)", "check the database's integrity");
    while (q.step()) {
      const std::string line = q.text(0);
      if (line == "ok") break;
      problem += (problem.empty() ? "" : "; ") + line;
    }
  } catch (const Error& e) {
    problem = e.what();
  }
  if (problem.empty()) return;
  throw Error(db.path() + ": the experiment database is damaged (" + problem +
              "), so nothing is read from it or written to it. Restore it from a backup, or save what is "
              "still readable into a new file with: sqlite3 '" + db.path() + "' .recover | sqlite3 recovered.sqlite");
}

}  // namespace

Store::Impl::Impl(const std::string& path, OpenMode mode) : db(path, mode) {
  refuse_if_damaged(db);
  if (mode == OpenMode::read_write) {
    migrate(db);
  } else {
    require_latest_schema(db);
  }
}

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
