// What the store's source files share, and nothing outside engine/store/ includes: the
// connection behind a Store (Store::Impl), time stamps, the readers of enum columns, and the
// keyed insert that Think's samples and Improve's answers both go through.
//
// Store's methods are spread over one file per table group (store_*.cpp) so that each reads
// in one sitting; this header is the seam between them. It may include sqlite3.h, unlike
// database.h and store.h, because only the store's own sources see it.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/database.h"
#include "store/records.h"
#include "store/store.h"

namespace tpt::store {

struct Store::Impl {
  Database db;

  // Migrates a read-write file to the latest schema; a read-only one must already be there.
  Impl(const std::string& path, OpenMode mode);

  void require_writable(const char* what) const {
    if (db.mode() == OpenMode::read_only) {
      throw Error(db.path() + ": cannot " + what + ": the database is open read-only");
    }
  }
};

namespace detail {

// The current time as the store writes it: ISO-8601 UTC with milliseconds.
std::string now_utc();
// `time`, or the current time (kept in `scratch`) when it is empty: a record's time left
// empty on a write means "now".
const std::string& or_now(const std::string& time, std::string& scratch);

// Database columns hold these as text; a value the code does not know means a damaged or
// foreign file, which the caller reports with the file's name.
Verdict parse_verdict(const std::string& name);
Label parse_label(const std::string& name);
AnnotationState parse_annotation_state(const std::string& name);

// An annotations row selected as "id, sample_id, annotator, label, comment, created_at, state,
// replaces, replaced_at"; `path` names the file in an error.
StoredAnnotation read_annotation(Query& q, const std::string& path);

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

}  // namespace detail
}  // namespace tpt::store
