// A thin RAII layer over one SQLite connection: opening with the store's pragmas, cached
// prepared statements, and nested transactions that roll back on exception.
//
// Only engine/store/ writes SQL; the rest of the engine and the GUI use the typed API in
// store.h. This header is public so the store's own tests can build old-version files and
// look at query plans. It forward-declares SQLite's types so includers never see sqlite3.h.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace tpt::store {

enum class OpenMode {
  read_write,  // creates the file if it is missing; the engine thread's connection
  read_only,   // never writes, never creates; the GUI's connection beside a running engine
};

class Database;

// A prepared statement borrowed from its connection's cache. It is reset when the Query is
// destroyed: a statement left mid-result would pin an old WAL snapshot, and a read-only
// connection would then stop seeing what the writer commits.
class Query {
 public:
  Query(Database& db, sqlite3_stmt* stmt, std::string what);
  Query(Query&& other) noexcept;
  Query& operator=(Query&&) = delete;
  Query(const Query&) = delete;
  ~Query();

  // Parameters are 1-based, as in SQL's ?1, ?2.
  template <typename T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
  Query& bind(int index, T value) {
    return bind_int64(index, static_cast<std::int64_t>(value));
  }
  Query& bind(int index, double value);
  Query& bind(int index, std::string_view value);
  Query& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Query& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Query& bind_null(int index);
  template <typename T>
  Query& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // Advances to the next row: true while there is one. Throws tpt::Error naming the file and
  // what the query was for.
  bool step();
  // For statements that return no rows (INSERT, UPDATE, DDL).
  void run();
  // Ready for new bindings: the same statement, run again (bulk inserts).
  void reset();

  std::int64_t int64(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  bool is_null(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;

 private:
  Query& bind_int64(int index, std::int64_t value);
  void check_bind(int rc, int index);

  Database* db_;
  sqlite3_stmt* stmt_;
  std::string what_;
};

class Database {
 public:
  // Opens (read_write: creating if need be) and applies the connection settings: WAL,
  // foreign keys, busy timeout, synchronous=NORMAL. Throws tpt::Error naming the file when it
  // cannot be opened or is not an SQLite database.
  Database(const std::string& path, OpenMode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& path() const { return path_; }
  OpenMode mode() const { return mode_; }

  // Runs one or more statements that return nothing (schema scripts, pragmas that set).
  // `what` says in words what the script does, for the error message.
  void exec(const std::string& sql, const std::string& what);
  // A cached prepared statement for `sql`; prepared once per connection, reused after.
  // `what` completes "cannot ..." in error messages ("insert a sample").
  Query query(const std::string& sql, const std::string& what);

  // Single-value reads for pragmas and diagnostics.
  std::int64_t scalar_int64(const std::string& sql, const std::string& what);
  std::string scalar_text(const std::string& sql, const std::string& what);

  int user_version();

  std::int64_t last_insert_id() const;
  int changes() const;
  bool in_transaction() const { return depth_ > 0; }

  // "<file>: cannot <what>: <sqlite's message>": every store error reads like this.
  std::string describe_failure(const std::string& what) const;
  [[noreturn]] void fail(const std::string& what) const;
  // SQLite's extended result code of the last failed step (e.g. SQLITE_CONSTRAINT_UNIQUE).
  int last_error_code() const { return last_error_code_; }

 private:
  friend class Query;
  friend class Transaction;
  int last_error_code_ = 0;
  std::string path_;
  OpenMode mode_;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
  int depth_ = 0;  // nesting of open Transactions
};

// One atomic unit of writes. The outermost Transaction is BEGIN IMMEDIATE (it takes the write
// lock up front, so two writers queue on busy_timeout instead of failing on lock upgrade);
// inner ones are savepoints, so a store call that opens its own Transaction composes with a
// caller's. Destroyed without commit() — by an exception, say — it rolls back its part.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;

  void commit();

 private:
  Database* db_;
  int level_;  // 1 = outermost
  bool open_ = true;
};

}  // namespace tpt::store
