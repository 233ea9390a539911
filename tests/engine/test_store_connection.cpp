// Tests of opening an experiment store: the schema version and migrations, the connection's
// settings, files that are not (or no longer) experiment databases, and read-only
// connections beside a writer.
#include <filesystem>
#include <fstream>
#include <string>

#include "check.h"
#include "core/error.h"
#include "store/database.h"
#include "store/schema.h"
#include "store/store.h"
#include "store_test_support.h"

using namespace tpt::store;
using namespace tpt::store::test_support;

namespace {

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

}  // namespace

// ---- schema and connection -------------------------------------------------------------

TPT_TEST(store, a_new_store_is_created_at_the_latest_schema_version) {
  Store store(fresh_path());
  COMPARE(store.schema_version(), latest_schema_version());
  VERIFY(latest_schema_version() >= 2);
}

TPT_TEST(store, a_store_uses_wal_foreign_keys_and_a_busy_timeout) {
  Store store(fresh_path());
  COMPARE(store.journal_mode(), std::string("wal"));
  VERIFY(store.foreign_keys_enabled());
  VERIFY(store.database().scalar_int64("PRAGMA busy_timeout", "read busy_timeout") > 0);
  // synchronous=NORMAL is 1.
  COMPARE(store.database().scalar_int64("PRAGMA synchronous", "read synchronous"), std::int64_t{1});
  // Foreign keys are enforced, not just declared: a sample of a missing round is refused.
  VERIFY_THROWS_WITH(store.insert_samples({make_sample(42, 42, 0)}), "FOREIGN KEY");
}

TPT_TEST(store, a_version_1_database_is_migrated_and_its_annotations_feed_the_label_filter) {
  const std::string path = fresh_path();
  std::int64_t sample_id = 0;
  {
    // Build a file as version 1 of the code left it.
    Database db(path, OpenMode::read_write);
    migrate(db, 1);
    COMPARE(db.user_version(), 1);
    db.exec(
        "INSERT INTO experiments(id, name, created_at) VALUES (1, 'old', 't');"
        "INSERT INTO rounds(id, experiment_id, round_index, created_at, updated_at)"
        " VALUES (1, 1, 0, 't', 't');"
        "INSERT INTO problems(id, experiment_id, split, problem_key, question, gold)"
        " VALUES (1, 1, 'train', 'p1', 'q', '4');"
        "INSERT INTO samples(id, round_id, problem_id, sample_index, token_count, finish_reason,"
        " seed, temperature, top_p, top_k, max_new_tokens, created_at, text)"
        " VALUES (7, 1, 1, 0, 5, 'stop', 1, 1.0, 1.0, 0, 64, 't', 'old trace'),"
        "        (8, 1, 1, 1, 5, 'stop', 2, 1.0, 1.0, 0, 64, 't', 'other trace');"
        "INSERT INTO annotations(sample_id, annotator, label, created_at)"
        " VALUES (7, 'ada', 'reject', 't'), (7, 'bob', 'accept', 't');",
        "fill a version 1 file");
    sample_id = 7;
  }
  Store store(path);
  COMPARE(store.schema_version(), latest_schema_version());
  SampleFilter accepted;
  accepted.latest_label = Label::Accept;
  COMPARE(show_ids(ids_of(store.list_samples(accepted))), show_ids({sample_id}));
  auto detail = store.get_sample(sample_id);
  VERIFY(detail.has_value());
  COMPARE(detail->sample.text, std::string("old trace"));
  COMPARE(detail->annotations.size(), size_t{2});
  COMPARE(std::string(store.integrity_check().front()), std::string("ok"));
}

TPT_TEST(store, a_version_6_database_keeps_its_latest_labels_current_and_the_rest_as_history) {
  const std::string path = fresh_path();
  {
    Database db(path, OpenMode::read_write);
    migrate(db, 6);
    db.exec(
        "INSERT INTO experiments(id, name, created_at) VALUES (1, 'old', 't');"
        "INSERT INTO rounds(id, experiment_id, round_index, created_at, updated_at)"
        " VALUES (1, 1, 1, 't', 't');"
        "INSERT INTO problems(id, experiment_id, split, problem_key, question, gold)"
        " VALUES (1, 1, 'train', 'p1', 'q', '4');"
        "INSERT INTO samples(id, round_id, problem_id, sample_index, token_count, finish_reason,"
        " seed, temperature, top_p, top_k, max_new_tokens, created_at, text)"
        " VALUES (7, 1, 1, 0, 5, 'stop', 1, 1.0, 1.0, 0, 64, 't', 'old trace'),"
        "        (8, 1, 1, 1, 5, 'stop', 2, 1.0, 1.0, 0, 64, 't', 'other trace');"
        "INSERT INTO annotations(id, sample_id, annotator, label, created_at)"
        " VALUES (1, 7, 'ada', 'reject', 't'), (2, 7, 'bob', 'accept', 't'), (3, 8, 'ada', 'flag', 't');",
        "fill a version 6 file");
  }
  Store store(path);
  COMPARE(store.schema_version(), latest_schema_version());
  const auto current = store.current_annotation(7);
  VERIFY(current.has_value());
  COMPARE(current->id, std::int64_t{2});
  const auto history = store.get_sample(7)->annotations;
  COMPARE(history.size(), size_t{2});
  VERIFY(history[0].state == AnnotationState::Superseded);
  const auto other = store.current_annotation(8);
  VERIFY(other.has_value());
  COMPARE(other->id, std::int64_t{3});
  // Relabelling after the migration replaces the current label, as in a new file.
  store.add_annotation({0, 7, "eve", Label::Flag, "", ""});
  COMPARE(store.database().scalar_int64("SELECT count(*) FROM annotations WHERE sample_id = 7 AND state = 'current'",
                                        "count"),
          std::int64_t{1});
  SampleFilter flagged;
  flagged.latest_label = Label::Flag;
  COMPARE(show_ids(ids_of(store.list_samples(flagged))), show_ids({7, 8}));
  // Samples stored before the checkers were recorded count as unchecked, not as agreeing.
  const auto audit = store.checker_disagreements(1);
  COMPARE(audit.size(), size_t{1});
  COMPARE(audit[0].unchecked, std::int64_t{2});
  COMPARE(audit[0].disagreements(), std::int64_t{0});
  COMPARE(std::string(store.integrity_check().front()), std::string("ok"));
}

TPT_TEST(store, a_database_newer_than_the_code_is_refused_naming_the_file_and_both_versions) {
  const std::string path = fresh_path();
  { Store store(path); }
  {
    Database db(path, OpenMode::read_write);
    db.exec("PRAGMA user_version = 99", "pretend a newer build wrote the file");
  }
  for (OpenMode mode : {OpenMode::read_write, OpenMode::read_only}) {
    try {
      Store store(path, mode);
      TPT_FAIL("a version 99 file was opened");
    } catch (const tpt::Error& e) {
      VERIFY_CONTAINS(e.what(), path);
      VERIFY_CONTAINS(e.what(), "version 99");
      VERIFY_CONTAINS(e.what(), "version " + std::to_string(latest_schema_version()));
    }
  }
}

TPT_TEST(store, a_read_only_connection_refuses_an_old_schema_and_asks_for_a_read_write_open) {
  const std::string path = fresh_path();
  {
    Database db(path, OpenMode::read_write);
    migrate(db, 1);
  }
  VERIFY_THROWS_WITH(Store(path, OpenMode::read_only), "open it read-write once");
  Store writer(path);  // migrates
  Store reader(path, OpenMode::read_only);
  COMPARE(reader.schema_version(), latest_schema_version());
}

TPT_TEST(store, another_programs_sqlite_file_is_not_taken_for_an_experiment_database) {
  const std::string path = fresh_path();
  {
    Database db(path, OpenMode::read_write);
    db.exec("CREATE TABLE contacts(name TEXT)", "make a foreign file");
  }
  VERIFY_THROWS_WITH(Store{path}, "not an experiment database");
}

TPT_TEST(store, a_garbage_file_gives_an_error_naming_the_file) {
  const std::string path = fresh_path();
  write_file(path, std::string(8192, 'x'));
  try {
    Store store(path);
    TPT_FAIL("a garbage file was opened");
  } catch (const tpt::Error& e) {
    VERIFY_CONTAINS(e.what(), path);
    VERIFY_CONTAINS(e.what(), "not a database");
  }
}

TPT_TEST(store, a_truncated_file_gives_an_error_naming_the_file) {
  std::string source;
  { Fixture f; source = f.path; }
  // The fixture's store checkpointed its WAL into the file when it closed.
  const auto size = std::filesystem::file_size(source);
  VERIFY(size > 3 * 4096);
  // SQLite compares the page count in the header with the file's length on the first read,
  // so a file cut anywhere, even by its last page only, fails at open rather than later.
  for (auto cut : {size / 3, size - 4096}) {
    const std::string path = fresh_path();
    std::filesystem::copy_file(source, path);
    std::filesystem::resize_file(path, cut);
    for (OpenMode mode : {OpenMode::read_write, OpenMode::read_only}) {
      try {
        Store store(path, mode);
        TPT_FAIL("a file cut to " + std::to_string(cut) + " bytes was opened");
      } catch (const tpt::Error& e) {
        VERIFY_CONTAINS(e.what(), path);
        VERIFY_CONTAINS(e.what(), "malformed");
      }
    }
  }
}

TPT_TEST(store, a_missing_file_opened_read_only_gives_an_error_naming_the_file) {
  const std::string path = tpt::testing::temp_dir() + "/absent.sqlite";
  VERIFY_THROWS_WITH(Store(path, OpenMode::read_only), path);
  VERIFY(!std::filesystem::exists(path));
}

TPT_TEST(store, a_fresh_store_passes_the_integrity_check) {
  Fixture f;
  auto result = f.store.integrity_check();
  COMPARE(result.size(), size_t{1});
  COMPARE(result.front(), std::string("ok"));
}

// ---- concurrent readers ----------------------------------------------------------------

TPT_TEST(store, a_read_only_connection_sees_rows_committed_by_the_writer) {
  Fixture f;
  Store reader(f.path, OpenMode::read_only);
  COMPARE(reader.count_samples({}), std::int64_t{24});
  auto page = reader.list_samples({}, 0, 10);  // a finished read must not pin a snapshot
  COMPARE(page.size(), size_t{10});
  {
    auto transaction = f.store.transaction();
    f.store.insert_samples({make_sample(f.rounds[1], f.problems[0], 9)});
    // Not committed yet: the reader still sees the old state, without waiting on the lock.
    COMPARE(reader.count_samples({}), std::int64_t{24});
    transaction.commit();
  }
  COMPARE(reader.count_samples({}), std::int64_t{25});
  f.store.add_annotation({0, f.at(0, 0, 0).id, "ada", Label::Reject, "", ""});
  SampleFilter rejected;
  rejected.latest_label = Label::Reject;
  COMPARE(reader.count_samples(rejected), std::int64_t{1});
  COMPARE(reader.get_sample(f.at(0, 0, 0).id)->annotations.size(), size_t{1});
}

TPT_TEST(store, a_read_only_connection_refuses_writes) {
  Fixture f;
  Store reader(f.path, OpenMode::read_only);
  VERIFY_THROWS_WITH(reader.add_annotation({0, f.at(0, 0, 0).id, "ada", Label::Flag, "", ""}),
                     "read-only");
  VERIFY_THROWS_WITH(reader.insert_samples({make_sample(f.rounds[0], f.problems[0], 9)}), "read-only");
  VERIFY_THROWS_WITH(reader.transaction(), "read-only");
}

TPT_TEST(store, a_read_only_connection_opens_a_file_no_writer_holds_open) {
  const std::string path = fresh_path();
  std::string source;
  { Fixture f; source = f.path; }
  std::filesystem::copy_file(source, path);
  Store reader(path, OpenMode::read_only);
  COMPARE(reader.count_samples({}), std::int64_t{24});
}

TPT_TEST(store, a_database_with_flipped_bits_is_refused_with_the_way_out) {
  std::string source;
  {
    Fixture f;
    // Enough rows that the flipped bytes land in table and index pages.
    std::vector<SampleRecord> samples;
    for (int i = 0; i < 400; ++i)
      samples.push_back(make_sample(f.rounds[1], f.problems[static_cast<size_t>(i) % f.problems.size()], 100 + i,
                                    "a trace long enough to fill pages: " + std::string(200, 'x')));
    f.store.insert_samples(samples);
    source = f.path;
  }
  const std::string path = fresh_path();
  std::filesystem::copy_file(source, path);
  {
    std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
    const auto size = static_cast<long>(std::filesystem::file_size(path));
    const long pages = size / 4096;
    VERIFY(pages >= 8);
    // As a failing disk would: 16 bytes flipped in the middle of each page of the second half.
    for (long page = pages / 2; page < pages; ++page) {
      char bytes[16];
      file.seekg(page * 4096 + 2048);
      file.read(bytes, sizeof bytes);
      for (char& b : bytes) b = static_cast<char>(b ^ 0xA5);
      file.seekp(page * 4096 + 2048);
      file.write(bytes, sizeof bytes);
    }
  }
  for (OpenMode mode : {OpenMode::read_write, OpenMode::read_only}) {
    try {
      Store store(path, mode);
      TPT_FAIL("a damaged database was opened");
    } catch (const tpt::Error& e) {
      VERIFY_CONTAINS(e.what(), path + ": the experiment database is damaged (");
      VERIFY_CONTAINS(e.what(), ".recover | sqlite3 recovered.sqlite");
    }
  }
}
