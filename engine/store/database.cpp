#include "store/database.h"

#include <sqlite3.h>

#include <filesystem>
#include <system_error>

#include "core/error.h"

namespace tpt::store {

namespace {

// Long enough for the GUI's annotation write to wait out an engine batch commit.
constexpr int busy_timeout_ms = 10000;
// Negative = KiB. Index pages of a million-sample table stay hot during bulk inserts.
constexpr int cache_kib = 64 * 1024;

}  // namespace

// ---- Query ---------------------------------------------------------------------------

Query::Query(Database& db, sqlite3_stmt* stmt, std::string what)
    : db_(&db), stmt_(stmt), what_(std::move(what)) {}

Query::Query(Query&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), what_(std::move(other.what_)) {
  other.stmt_ = nullptr;
}

Query::~Query() {
  if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

void Query::check_bind(int rc, int index) {
  if (rc != SQLITE_OK) db_->fail(what_ + " (binding parameter " + std::to_string(index) + ")");
}

Query& Query::bind_int64(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Query& Query::bind(int index, double value) {
  check_bind(sqlite3_bind_double(stmt_, index, value), index);
  return *this;
}

Query& Query::bind(int index, std::string_view value) {
  check_bind(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                                 SQLITE_UTF8),
             index);
  return *this;
}

Query& Query::bind_null(int index) {
  check_bind(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

bool Query::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // Read the message and code before reset() can replace them.
  db_->last_error_code_ = sqlite3_extended_errcode(db_->db_);
  std::string message = db_->describe_failure(what_);
  sqlite3_reset(stmt_);
  throw Error(message);
}

void Query::run() {
  while (step()) {
  }
  sqlite3_reset(stmt_);
}

void Query::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Query::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double Query::real(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Query::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (!data) return {};
  return std::string(data, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Query::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::optional<std::string> Query::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

std::optional<std::int64_t> Query::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

// ---- Database ------------------------------------------------------------------------

Database::Database(const std::string& path, OpenMode mode) : path_(path), mode_(mode) {
  if (mode == OpenMode::read_only && !std::filesystem::exists(path)) {
    throw Error(path + ": cannot open the experiment database read-only: no such file");
  }
  const int flags = (mode == OpenMode::read_only ? SQLITE_OPEN_READONLY
                                                 : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;  // one connection per thread, by design
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = path + ": cannot open the experiment database: " +
                          (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(message);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  try {
    // sqlite3_open_v2 reads nothing; the first statement that touches the file finds out
    // whether it is a database at all, so do that here where the message can say so.
    scalar_int64("PRAGMA schema_version", "open the experiment database");
    if (mode == OpenMode::read_write) {
      std::string journal = scalar_text("PRAGMA journal_mode=WAL", "switch to WAL mode");
      if (journal != "wal") fail("switch to WAL mode (journal mode stays '" + journal + "')");
      // In WAL mode NORMAL loses at most the last commits on power loss, never consistency.
      exec("PRAGMA synchronous=NORMAL", "set synchronous=NORMAL");
    }
    exec("PRAGMA foreign_keys=ON", "enable foreign keys");
    exec("PRAGMA cache_size=-" + std::to_string(cache_kib), "set the cache size");
    exec("PRAGMA temp_store=MEMORY", "set temp_store");
  } catch (...) {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    statements_.clear();
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

Database::~Database() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

std::string Database::describe_failure(const std::string& what) const {
  return path_ + ": cannot " + what + ": " + sqlite3_errmsg(db_);
}

void Database::fail(const std::string& what) const { throw Error(describe_failure(what)); }

void Database::exec(const std::string& sql, const std::string& what) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = path_ + ": cannot " + what + ": " + (message ? message : sqlite3_errstr(rc));
    sqlite3_free(message);
    throw Error(text);
  }
}

Query Database::query(const std::string& sql, const std::string& what) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
      fail(what);
    }
    found = statements_.emplace(sql, stmt).first;
  }
  return Query(*this, found->second, what);
}

std::int64_t Database::scalar_int64(const std::string& sql, const std::string& what) {
  Query q = query(sql, what);
  return q.step() ? q.int64(0) : 0;
}

std::string Database::scalar_text(const std::string& sql, const std::string& what) {
  Query q = query(sql, what);
  return q.step() ? q.text(0) : std::string();
}

int Database::user_version() {
  return static_cast<int>(scalar_int64("PRAGMA user_version", "read the schema version"));
}

std::int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }

int Database::changes() const { return sqlite3_changes(db_); }

// ---- Transaction ---------------------------------------------------------------------

Transaction::Transaction(Database& db) : db_(&db), level_(db.depth_ + 1) {
  if (level_ == 1) {
    db.exec("BEGIN IMMEDIATE", "begin a write transaction");
  } else {
    db.exec("SAVEPOINT tpt_" + std::to_string(level_), "open a savepoint");
  }
  db.depth_ = level_;
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(other.db_), level_(other.level_), open_(other.open_) {
  other.open_ = false;
}

void Transaction::commit() {
  if (!open_) return;
  if (db_->depth_ != level_) {
    throw Error(db_->path() + ": cannot commit: an inner transaction is still open");
  }
  if (level_ == 1) {
    db_->exec("COMMIT", "commit");
  } else {
    db_->exec("RELEASE tpt_" + std::to_string(level_), "release a savepoint");
  }
  open_ = false;
  db_->depth_ = level_ - 1;
}

Transaction::~Transaction() {
  if (!open_) return;
  // Errors are swallowed: this runs during unwinding, and a failed rollback leaves SQLite
  // itself rolling back when the connection closes.
  if (level_ == 1) {
    sqlite3_exec(db_->db_, "ROLLBACK", nullptr, nullptr, nullptr);
  } else {
    const std::string name = "tpt_" + std::to_string(level_);
    sqlite3_exec(db_->db_, ("ROLLBACK TO " + name + "; RELEASE " + name).c_str(), nullptr,
                 nullptr, nullptr);
  }
  db_->depth_ = level_ - 1;
}

}  // namespace tpt::store
