// Tests of the experiment store (engine/store/): schema and migrations, connection settings,
// round-trips of every record, the resume key, transactions, and the trace browser's filters
// and keyset paging checked against a small store whose contents are known row by row.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "check.h"
#include "core/error.h"
#include "store/database.h"
#include "store/schema.h"
#include "store/store.h"

using namespace tpt::store;

namespace {

std::string fresh_path() { return tpt::testing::temp_dir() + "/experiment.sqlite"; }

SampleRecord make_sample(std::int64_t round_id, std::int64_t problem_id, int index,
                         std::string text = "Step 1. 2 + 2 = 4.\n#### 4") {
  SampleRecord s;
  s.round_id = round_id;
  s.problem_id = problem_id;
  s.sample_index = index;
  s.text = std::move(text);
  s.token_count = 12 + index;
  s.finish_reason = "stop";
  s.seed = 1000 + static_cast<std::uint64_t>(index);
  s.sampling = {0.8, 0.95, 40, 256};
  return s;
}

// What the fixture stored for one sample, to compute expected filter results by hand.
struct Known {
  std::int64_t id;
  int round;
  int problem;
  int index;
  Verdict verdict;
  bool kept;
  std::string dropped_by;
  std::optional<Label> label;
  std::string text;
};

// 2 rounds × 4 problems × 3 samples. Sample index 0 is correct, 1 wrong, 2 has no answer;
// problem 3's correct samples are dropped by "k_per_problem". Three samples are annotated,
// one of them twice (latest label wins).
struct Fixture {
  std::string path = fresh_path();
  Store store{path};
  std::int64_t experiment = 0;
  std::vector<std::int64_t> rounds;
  std::vector<std::int64_t> problems;
  std::vector<Known> known;

  Fixture() {
    experiment = store.create_experiment({0, "gsm8k-demo", R"({"rounds":2})", "", "new", ""});
    rounds = {store.ensure_round(experiment, 0), store.ensure_round(experiment, 1)};
    std::vector<ProblemRecord> ps;
    for (int p = 0; p < 4; ++p) {
      ps.push_back({0, experiment, "train", "gsm8k-" + std::to_string(p),
                    "What is " + std::to_string(p) + " + 2?", "", std::to_string(p + 2)});
    }
    problems = store.upsert_problems(ps);
    std::vector<SampleRecord> samples;
    for (int r = 0; r < 2; ++r) {
      for (int p = 0; p < 4; ++p) {
        for (int i = 0; i < 3; ++i) {
          std::string text = "round " + std::to_string(r) + " problem " + std::to_string(p) +
                             " sample " + std::to_string(i) + (p == 2 ? " Needle_50%" : "");
          samples.push_back(make_sample(rounds[r], problems[p], i, text));
          Verdict verdict = i == 0 ? Verdict::Correct : i == 1 ? Verdict::Wrong : Verdict::NoAnswer;
          std::string dropped_by = i == 1 ? "answer_match" : i == 2 ? "format" : p == 3 ? "k_per_problem" : "";
          known.push_back({0, r, p, i, verdict, dropped_by.empty(), dropped_by, std::nullopt, text});
        }
      }
    }
    auto ids = store.insert_samples(samples).ids;
    std::vector<DecisionRecord> decisions;
    for (size_t n = 0; n < known.size(); ++n) {
      known[n].id = ids[n];
      DecisionRecord d;
      d.sample_id = ids[n];
      d.kept = known[n].kept;
      d.dropped_by = known[n].dropped_by;
      d.verdict = known[n].verdict;
      d.extracted = known[n].verdict == Verdict::NoAnswer ? std::nullopt
                                                            : std::optional<std::string>("4");
      d.rules = {{"answer_match", d.verdict == Verdict::Correct ? Outcome::Pass : Outcome::Fail, "compared"}};
      decisions.push_back(d);
    }
    store.write_decisions(decisions);
    annotate(1, 0, 0, Label::Accept);
    annotate(1, 1, 1, Label::Reject);
    annotate(1, 1, 1, Label::Flag);
    annotate(0, 2, 2, Label::Flag);
  }

  Known& at(int r, int p, int i) { return known[static_cast<size_t>(r * 12 + p * 3 + i)]; }

  void annotate(int r, int p, int i, Label label) {
    store.add_annotation({0, at(r, p, i).id, "ada", label, "looked at it", ""});
    at(r, p, i).label = label;
  }

  std::vector<std::int64_t> expected(const std::function<bool(const Known&)>& keep) const {
    std::vector<std::int64_t> ids;
    for (const auto& k : known) {
      if (keep(k)) ids.push_back(k.id);
    }
    return ids;
  }
};

std::vector<std::int64_t> ids_of(const std::vector<SampleRow>& rows) {
  std::vector<std::int64_t> ids;
  for (const auto& row : rows) ids.push_back(row.sample_id);
  return ids;
}

std::string show_ids(const std::vector<std::int64_t>& ids) {
  std::string text = "[";
  for (auto id : ids) text += (text.size() > 1 ? "," : "") + std::to_string(id);
  return text + "]";
}

// The page and the count for `filter` both agree with the hand-computed expectation.
void check_filter(Fixture& f, const std::string& name, const SampleFilter& filter,
                  const std::function<bool(const Known&)>& keep) {
  const auto expected = f.expected(keep);
  const auto got = ids_of(f.store.list_samples(filter, 0, 1000));
  if (got != expected) {
    TPT_FAIL("filter " + name + ": got " + show_ids(got) + ", expected " + show_ids(expected));
  }
  if (f.store.count_samples(filter) != static_cast<std::int64_t>(expected.size())) {
    TPT_FAIL("filter " + name + ": count " + std::to_string(f.store.count_samples(filter)) +
             ", expected " + std::to_string(expected.size()));
  }
}

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

// ---- round trips -----------------------------------------------------------------------

TPT_TEST(store, experiments_rounds_and_problems_round_trip) {
  Store store(fresh_path());
  auto experiment = store.create_experiment({0, "exp", R"({"k":4})", "2024-05-01T00:00:00.000Z", "new", ""});
  auto found = store.find_experiment("exp");
  VERIFY(found.has_value());
  COMPARE(found->id, experiment);
  COMPARE(found->config_json, std::string(R"({"k":4})"));
  COMPARE(found->created_at, std::string("2024-05-01T00:00:00.000Z"));
  VERIFY(!store.find_experiment("nope").has_value());
  COMPARE(store.list_experiments().size(), size_t{1});
  VERIFY_THROWS_WITH(store.create_experiment({0, "exp", "{}", "", "new", ""}), "UNIQUE");

  auto r1 = store.ensure_round(experiment, 1);
  auto r0 = store.ensure_round(experiment, 0);
  COMPARE(store.ensure_round(experiment, 1), r1);  // idempotent, for resume
  store.set_round_state(r1, "train");
  store.set_round_model_path(r1, "models/round-1");
  auto rounds = store.list_rounds(experiment);
  COMPARE(rounds.size(), size_t{2});
  COMPARE(rounds[0].id, r0);
  COMPARE(rounds[0].state, std::string("pending"));
  COMPARE(rounds[1].round_index, 1);
  COMPARE(rounds[1].state, std::string("train"));
  COMPARE(rounds[1].model_path, std::string("models/round-1"));
  VERIFY(!rounds[1].created_at.empty());
  VERIFY_THROWS_WITH(store.set_round_state(999, "done"), "no such round");

  auto ids = store.upsert_problems({{0, experiment, "train", "a", "Q a?", "sol a", "1"},
                                    {0, experiment, "test", "a", "Q a test?", "", "2"}});
  COMPARE(ids.size(), size_t{2});
  VERIFY(ids[0] != ids[1]);  // the split is part of the key
  auto again = store.upsert_problems({{0, experiment, "train", "a", "Q a, reworded?", "sol", "1"}});
  COMPARE(again.front(), ids[0]);
  auto problem = store.get_problem(ids[0]);
  VERIFY(problem.has_value());
  COMPARE(problem->question, std::string("Q a, reworded?"));
  COMPARE(problem->split, std::string("train"));
  COMPARE(problem->gold, std::string("1"));
}

TPT_TEST(store, an_annotation_without_a_label_is_refused) {
  Fixture f;
  VERIFY_THROWS_WITH(f.store.add_annotation({0, f.known[0].id, "ada", Label::None, "", ""}), "needs a label");
}

TPT_TEST(store, a_sample_with_its_decision_and_annotations_round_trips) {
  Store store(fresh_path());
  auto experiment = store.create_experiment({0, "exp", "{}", "", "new", ""});
  auto round = store.ensure_round(experiment, 2);
  auto problem = store.upsert_problems({{0, experiment, "train", "p7", "Q?", "S", "42"}}).front();
  SampleRecord s = make_sample(round, problem, 3, std::string("Let's think.\n\xc3\xa9t\xc3\xa9 ") +
                                                      std::string(1, '\0') + " #### 42");
  s.seed = 0xfedcba9876543210ull;  // above INT64_MAX: stored as its bit pattern
  s.finish_reason = "length";
  s.created_at = "2024-05-01T10:00:00.000Z";
  auto id = store.insert_samples({s}).ids.front();

  DecisionRecord d;
  d.sample_id = id;
  d.kept = false;
  d.dropped_by = "length";
  d.reason = "hit max_new_tokens";
  d.extracted = "42";
  d.verdict = Verdict::Correct;
  d.rules = {{"answer_match", Outcome::Pass, "42 == 42"}, {"length", Outcome::Fail, "finish_reason=length \"quoted\"\\\n\tend"},
             {"excerpt", Outcome::Pass, "caf\xc3\xa9 cut mid-character: \xc3"}};
  store.write_decisions({d});
  auto a1 = store.add_annotation({0, id, "ada", Label::Flag, "odd ending", "2024-05-02T00:00:00.000Z"});
  auto a2 = store.add_annotation({0, id, "bob", Label::Accept, "", ""});
  VERIFY(a2 > a1);

  auto detail = store.get_sample(id);
  VERIFY(detail.has_value());
  COMPARE(detail->sample.text, s.text);
  COMPARE(detail->sample.round_id, round);
  COMPARE(detail->sample.problem_id, problem);
  COMPARE(detail->sample.sample_index, 3);
  COMPARE(detail->sample.token_count, s.token_count);
  COMPARE(detail->sample.finish_reason, std::string("length"));
  VERIFY(detail->sample.seed == 0xfedcba9876543210ull);
  COMPARE(detail->sample.sampling.temperature, 0.8);
  COMPARE(detail->sample.sampling.top_p, 0.95);
  COMPARE(detail->sample.sampling.top_k, 40);
  COMPARE(detail->sample.sampling.max_new_tokens, 256);
  COMPARE(detail->sample.created_at, s.created_at);
  COMPARE(detail->round_index, 2);
  COMPARE(detail->problem.problem_key, std::string("p7"));
  COMPARE(detail->problem.gold, std::string("42"));
  VERIFY(detail->decision.has_value());
  const auto& got = *detail->decision;
  COMPARE(got.kept, false);
  COMPARE(got.dropped_by, std::string("length"));
  COMPARE(got.reason, d.reason);
  VERIFY(got.extracted == std::optional<std::string>("42"));
  VERIFY(got.verdict == Verdict::Correct);
  COMPARE(got.rules.size(), size_t{3});
  COMPARE(got.rules[1].rule, std::string("length"));
  COMPARE(got.rules[2].reason, std::string("caf\xc3\xa9 cut mid-character: \xef\xbf\xbd"));
  VERIFY(got.rules[1].outcome == Outcome::Fail);
  COMPARE(got.rules[1].reason, d.rules[1].reason);
  VERIFY(!got.decided_at.empty());
  COMPARE(detail->annotations.size(), size_t{2});
  COMPARE(detail->annotations[0].annotator, std::string("ada"));
  VERIFY(detail->annotations[0].label == Label::Flag);
  COMPARE(detail->annotations[0].comment, std::string("odd ending"));
  COMPARE(detail->annotations[0].time, std::string("2024-05-02T00:00:00.000Z"));
  VERIFY(detail->annotations[1].label == Label::Accept);

  auto rows = store.list_samples({});
  COMPARE(rows.size(), size_t{1});
  COMPARE(rows[0].round_index, 2);
  COMPARE(rows[0].problem_key, std::string("p7"));
  COMPARE(rows[0].sample_index, 3);
  COMPARE(rows[0].finish_reason, std::string("length"));
  VERIFY(rows[0].extracted == std::optional<std::string>("42"));
  VERIFY(rows[0].verdict == Verdict::Correct);
  VERIFY(rows[0].kept == false);
  COMPARE(rows[0].dropped_by, std::string("length"));
  VERIFY(rows[0].latest_label == Label::Accept);

  VERIFY(!store.get_sample(id + 100).has_value());
}

TPT_TEST(store, a_sample_not_yet_pruned_has_no_decision) {
  Store store(fresh_path());
  auto experiment = store.create_experiment({0, "exp", "{}", "", "new", ""});
  auto round = store.ensure_round(experiment, 0);
  auto problem = store.upsert_problems({{0, experiment, "train", "p", "Q?", "", "1"}}).front();
  auto id = store.insert_samples({make_sample(round, problem, 0)}).ids.front();
  VERIFY(!store.get_sample(id)->decision.has_value());
  auto rows = store.list_samples({});
  COMPARE(rows.size(), size_t{1});
  VERIFY(!rows[0].verdict.has_value());
  VERIFY(!rows[0].kept.has_value());
  VERIFY(!rows[0].latest_label.has_value());
}

TPT_TEST(store, metrics_round_trip_per_round_and_a_put_replaces_the_value) {
  Store store(fresh_path());
  auto experiment = store.create_experiment({0, "exp", "{}", "", "new", ""});
  auto r0 = store.ensure_round(experiment, 0);
  auto r1 = store.ensure_round(experiment, 1);
  store.put_metrics(r0, {{"pass@1", 0.25}, {"pass@4", 0.5}});
  store.put_metric(r1, "pass@1", 0.3);
  store.put_metric(r1, "pass@1", 0.35);
  store.put_metric(r1, "train/loss", std::nan(""));
  auto m0 = store.get_metrics(r0);
  COMPARE(m0.size(), size_t{2});
  COMPARE(m0["pass@4"], 0.5);
  auto m1 = store.get_metrics(r1);
  COMPARE(m1["pass@1"], 0.35);
  VERIFY(std::isnan(m1["train/loss"]));
}

TPT_TEST(store, events_are_logged_and_listed_after_a_given_id) {
  Store store(fresh_path());
  auto experiment = store.create_experiment({0, "exp", "{}", "", "new", ""});
  auto round = store.ensure_round(experiment, 1);
  auto e1 = store.log_event({0, experiment, "", "info", "think", "started", round});
  auto e2 = store.log_event({0, experiment, "2024-01-01T00:00:00.000Z", "error", "train", "OOM", std::nullopt});
  auto all = store.list_events(experiment);
  COMPARE(all.size(), size_t{2});
  COMPARE(all[0].id, e1);
  COMPARE(all[0].phase, std::string("think"));
  VERIFY(all[0].round_id == std::optional<std::int64_t>(round));
  VERIFY(!all[0].time.empty());
  COMPARE(all[1].level, std::string("error"));
  COMPARE(all[1].message, std::string("OOM"));
  VERIFY(!all[1].round_id.has_value());
  auto later = store.list_events(experiment, e1);
  COMPARE(later.size(), size_t{1});
  COMPARE(later[0].id, e2);
  VERIFY_THROWS_WITH(store.log_event({0, experiment, "", "shout", "x", "y", std::nullopt}), "CHECK");
}

// ---- the resume key and transactions ---------------------------------------------------

TPT_TEST(store, inserting_a_stored_sample_key_fails_naming_the_key_and_the_option) {
  Fixture f;
  try {
    f.store.insert_samples({make_sample(f.rounds[1], f.problems[2], 1)});
    TPT_FAIL("a duplicate (round, problem, sample_index) was inserted");
  } catch (const tpt::Error& e) {
    VERIFY_CONTAINS(e.what(), f.path);
    VERIFY_CONTAINS(e.what(), "UNIQUE");
    VERIFY_CONTAINS(e.what(), "sample index 1");
    VERIFY_CONTAINS(e.what(), "OnConflict::ignore");
  }
}

TPT_TEST(store, on_conflict_ignore_keeps_stored_samples_and_returns_their_ids) {
  Fixture f;
  const auto stored = f.at(1, 2, 1).id;
  auto result = f.store.insert_samples({make_sample(f.rounds[1], f.problems[2], 1, "redrawn"),
                                        make_sample(f.rounds[1], f.problems[2], 3, "new one")},
                                       OnConflict::ignore);
  COMPARE(result.inserted, size_t{1});
  COMPARE(result.ids.size(), size_t{2});
  COMPARE(result.ids[0], stored);
  VERIFY(result.ids[1] > stored);
  COMPARE(std::string(f.store.get_sample(stored)->sample.text), f.at(1, 2, 1).text);  // untouched
  COMPARE(std::string(f.store.get_sample(result.ids[1])->sample.text), std::string("new one"));
}

TPT_TEST(store, a_failed_batch_leaves_no_partial_rows) {
  Fixture f;
  const auto before = f.store.count_samples({});
  std::vector<SampleRecord> batch;
  for (int i = 10; i < 20; ++i) batch.push_back(make_sample(f.rounds[0], f.problems[0], i));
  batch.push_back(make_sample(f.rounds[0], f.problems[0], 12));  // duplicate inside the batch
  VERIFY_THROWS_WITH(f.store.insert_samples(batch), "UNIQUE");
  COMPARE(f.store.count_samples({}), before);

  // A bad decision in the middle of a batch keeps the earlier ones from being written too.
  DecisionRecord good{f.at(0, 0, 1).id, true, "", "", std::string("4"), Verdict::Correct, {}, ""};
  DecisionRecord missing{999999, true, "", "", std::nullopt, Verdict::Correct, {}, ""};
  VERIFY_THROWS_WITH(f.store.write_decisions({good, missing}), "no such sample");
  VERIFY(f.store.get_sample(good.sample_id)->decision->verdict == Verdict::Wrong);
  COMPARE(std::string(f.store.integrity_check().front()), std::string("ok"));
}

TPT_TEST(store, a_transaction_destroyed_without_commit_rolls_back_every_call_in_it) {
  Fixture f;
  const auto before = f.store.count_samples({});
  try {
    auto transaction = f.store.transaction();
    f.store.insert_samples({make_sample(f.rounds[0], f.problems[0], 50)});
    f.store.put_metric(f.rounds[0], "pass@1", 0.9);
    throw std::runtime_error("cancelled");
  } catch (const std::runtime_error&) {
  }
  COMPARE(f.store.count_samples({}), before);
  VERIFY(f.store.get_metrics(f.rounds[0]).empty());
  {
    auto transaction = f.store.transaction();
    f.store.insert_samples({make_sample(f.rounds[0], f.problems[0], 50)});
    f.store.put_metric(f.rounds[0], "pass@1", 0.9);
    transaction.commit();
  }
  COMPARE(f.store.count_samples({}), before + 1);
  COMPARE(double(f.store.get_metrics(f.rounds[0]).at("pass@1")), 0.9);
}

TPT_TEST(store, a_decision_must_name_the_dropping_rule_exactly_when_dropped) {
  Fixture f;
  DecisionRecord kept_with_rule{f.at(0, 0, 0).id, true, "format", "", std::nullopt, Verdict::Correct, {}, ""};
  VERIFY_THROWS_WITH(f.store.write_decisions({kept_with_rule}), "dropped_by");
  DecisionRecord dropped_without{f.at(0, 0, 0).id, false, "", "", std::nullopt, Verdict::Correct, {}, ""};
  VERIFY_THROWS_WITH(f.store.write_decisions({dropped_without}), "dropped_by");
}

// ---- re-pruning and annotations --------------------------------------------------------

TPT_TEST(store, re_pruning_a_round_replaces_its_decisions_and_keeps_annotations) {
  Fixture f;
  SampleFilter round1;
  round1.round_id = f.rounds[1];
  const auto count = f.store.count_samples(round1);
  // A stricter rule set: every sample of round 1 is dropped by "strict".
  std::vector<DecisionRecord> decisions;
  for (const auto& row : f.store.list_samples(round1, 0, 1000)) {
    decisions.push_back({row.sample_id, false, "strict", "new rule", std::nullopt,
                         Verdict::NoAnswer, {{"strict", Outcome::Fail, "too strict"}}, ""});
  }
  f.store.write_decisions(decisions);

  SampleFilter kept = round1;
  kept.kept = true;
  COMPARE(f.store.count_samples(kept), std::int64_t{0});
  SampleFilter strict = round1;
  strict.dropped_by = "strict";
  COMPARE(f.store.count_samples(strict), count);
  auto detail = f.store.get_sample(f.at(1, 1, 1).id);
  COMPARE(detail->decision->rules.size(), size_t{1});
  COMPARE(detail->annotations.size(), size_t{2});
  SampleFilter flagged;
  flagged.latest_label = Label::Flag;
  COMPARE(f.store.count_samples(flagged), std::int64_t{2});
  // Round 0 was not touched.
  SampleFilter round0_kept;
  round0_kept.round_id = f.rounds[0];
  round0_kept.kept = true;
  COMPARE(f.store.count_samples(round0_kept), std::int64_t{3});
}

TPT_TEST(store, clearing_a_rounds_decisions_leaves_other_rounds_and_annotations) {
  Fixture f;
  f.store.clear_decisions(f.rounds[0]);
  VERIFY(!f.store.get_sample(f.at(0, 0, 0).id)->decision.has_value());
  VERIFY(f.store.get_sample(f.at(1, 0, 0).id)->decision.has_value());
  COMPARE(f.store.get_sample(f.at(0, 2, 2).id)->annotations.size(), size_t{1});
  SampleFilter any_verdict;
  any_verdict.verdict = Verdict::Correct;
  COMPARE(f.store.count_samples(any_verdict), std::int64_t{4});
}

TPT_TEST(store, the_latest_annotation_decides_the_label_filter) {
  Fixture f;
  SampleFilter rejected;
  rejected.latest_label = Label::Reject;
  COMPARE(f.store.count_samples(rejected), std::int64_t{0});  // rejected, then flagged
  f.store.add_annotation({0, f.at(1, 1, 1).id, "bob", Label::Reject, "on second thought", ""});
  COMPARE(show_ids(ids_of(f.store.list_samples(rejected))), show_ids({f.at(1, 1, 1).id}));
}

// ---- the trace browser's filters and paging --------------------------------------------

TPT_TEST(store, each_sample_filter_returns_exactly_the_matching_samples) {
  Fixture f;
  auto round = [&](int r) { return f.rounds[static_cast<size_t>(r)]; };
  SampleFilter filter;
  check_filter(f, "none", filter, [](const Known&) { return true; });

  filter = {};
  filter.round_id = round(1);
  check_filter(f, "round_id", filter, [](const Known& k) { return k.round == 1; });
  filter = {};
  filter.round_index = 0;
  check_filter(f, "round_index", filter, [](const Known& k) { return k.round == 0; });
  filter = {};
  filter.round_index = 7;
  check_filter(f, "missing round_index", filter, [](const Known&) { return false; });
  filter = {};
  filter.experiment_id = f.experiment;
  check_filter(f, "experiment", filter, [](const Known&) { return true; });
  filter = {};
  filter.problem_id = f.problems[2];
  check_filter(f, "problem", filter, [](const Known& k) { return k.problem == 2; });

  for (Verdict v : {Verdict::Correct, Verdict::Wrong, Verdict::NoAnswer}) {
    filter = {};
    filter.verdict = v;
    check_filter(f, std::string("verdict ") + to_string(v), filter, [v](const Known& k) { return k.verdict == v; });
  }
  for (bool kept : {true, false}) {
    filter = {};
    filter.kept = kept;
    check_filter(f, "kept", filter, [kept](const Known& k) { return k.kept == kept; });
  }
  for (std::string rule : {"answer_match", "format", "k_per_problem", "no_such_rule"}) {
    filter = {};
    filter.dropped_by = rule;
    check_filter(f, "dropped_by " + rule, filter, [rule](const Known& k) { return k.dropped_by == rule; });
  }
  for (Label label : {Label::Accept, Label::Reject, Label::Flag}) {
    filter = {};
    filter.latest_label = label;
    check_filter(f, std::string("label ") + to_string(label), filter, [label](const Known& k) { return k.label == label; });
  }
  filter = {};
  filter.annotated = true;
  check_filter(f, "annotated", filter, [](const Known& k) { return k.label.has_value(); });
  filter = {};
  filter.annotated = false;
  check_filter(f, "not annotated", filter, [](const Known& k) { return !k.label.has_value(); });

  filter = {};
  filter.text_contains = "needle_50%";  // case-insensitive; % is literal
  check_filter(f, "text", filter, [](const Known& k) { return k.problem == 2; });
  filter = {};
  filter.text_contains = "needle_5%";
  check_filter(f, "text with wildcard", filter, [](const Known&) { return false; });
  filter = {};
  filter.text_contains = "sample 1";
  check_filter(f, "text sample 1", filter, [](const Known& k) { return k.index == 1; });
}

TPT_TEST(store, combined_filters_return_the_intersection) {
  Fixture f;
  SampleFilter filter;
  filter.round_id = f.rounds[1];
  filter.verdict = Verdict::Wrong;
  check_filter(f, "round+verdict", filter, [](const Known& k) { return k.round == 1 && k.verdict == Verdict::Wrong; });
  filter = {};
  filter.round_index = 0;
  filter.dropped_by = "k_per_problem";
  check_filter(f, "round+rule", filter, [](const Known& k) { return k.round == 0 && k.dropped_by == "k_per_problem"; });
  filter = {};
  filter.round_id = f.rounds[0];
  filter.kept = false;
  filter.verdict = Verdict::Correct;
  check_filter(f, "round+kept+verdict", filter, [](const Known& k) {
    return k.round == 0 && !k.kept && k.verdict == Verdict::Correct;
  });
  filter = {};
  filter.round_id = f.rounds[1];
  filter.annotated = false;
  filter.verdict = Verdict::Correct;
  check_filter(f, "round+verdict+not annotated", filter, [](const Known& k) {
    return k.round == 1 && !k.label && k.verdict == Verdict::Correct;
  });
  filter = {};
  filter.problem_id = f.problems[1];
  filter.round_id = f.rounds[1];
  filter.latest_label = Label::Flag;
  check_filter(f, "problem+round+label", filter, [](const Known& k) {
    return k.problem == 1 && k.round == 1 && k.label == Label::Flag;
  });
  filter = {};
  filter.annotated = true;
  filter.verdict = Verdict::NoAnswer;
  check_filter(f, "annotated+verdict", filter, [](const Known& k) {
    return k.label && k.verdict == Verdict::NoAnswer;
  });
  filter = {};
  filter.annotated = false;
  filter.latest_label = Label::Flag;
  check_filter(f, "contradiction", filter, [](const Known&) { return false; });
  filter = {};
  filter.round_id = f.rounds[0];
  filter.round_index = 1;
  check_filter(f, "round id and index disagree", filter, [](const Known&) { return false; });
  filter = {};
  filter.round_id = f.rounds[1];
  filter.text_contains = "problem 3";
  filter.kept = false;
  check_filter(f, "round+text+dropped", filter, [](const Known& k) {
    return k.round == 1 && k.problem == 3 && !k.kept;
  });
}

TPT_TEST(store, keyset_paging_visits_every_matching_row_exactly_once_in_id_order) {
  Fixture f;
  std::vector<SampleFilter> filters(4);
  filters[1].round_id = f.rounds[1];
  filters[2].kept = false;
  filters[3].round_id = f.rounds[0];
  filters[3].verdict = Verdict::Wrong;
  for (const auto& filter : filters) {
    for (int limit : {1, 5, 7}) {
      std::vector<std::int64_t> seen;
      std::int64_t after = 0;
      for (int guard = 0; guard < 100; ++guard) {
        auto page = f.store.list_samples(filter, after, limit);
        VERIFY(static_cast<int>(page.size()) <= limit);
        if (page.empty()) break;
        for (const auto& row : page) seen.push_back(row.sample_id);
        after = page.back().sample_id;
      }
      VERIFY(std::is_sorted(seen.begin(), seen.end()));
      COMPARE(std::set<std::int64_t>(seen.begin(), seen.end()).size(), seen.size());
      COMPARE(show_ids(seen), show_ids(ids_of(f.store.list_samples(filter, 0, 1000))));
      COMPARE(static_cast<std::int64_t>(seen.size()), f.store.count_samples(filter));
    }
  }
}

TPT_TEST(store, filtered_pages_are_index_range_scans_without_a_sort) {
  Fixture f;
  std::vector<std::pair<std::string, SampleFilter>> cases(8);
  cases[0].first = "samples_by_round";
  cases[0].second.round_id = f.rounds[0];
  cases[1].first = "decisions_by_verdict";
  cases[1].second.round_id = f.rounds[0];
  cases[1].second.verdict = Verdict::Wrong;
  cases[1].second.annotated = false;
  cases[2].first = "decisions_by_rule";
  cases[2].second.round_id = f.rounds[1];
  cases[2].second.dropped_by = "format";
  cases[2].second.verdict = Verdict::NoAnswer;
  cases[3].first = "decisions_by_kept";
  cases[3].second.round_id = f.rounds[1];
  cases[3].second.kept = true;
  cases[4].first = "samples_by_problem";
  cases[4].second.problem_id = f.problems[0];
  cases[4].second.round_id = f.rounds[1];
  cases[4].second.verdict = Verdict::Correct;
  cases[5].first = "samples_by_label";
  cases[5].second.latest_label = Label::Flag;
  cases[6].first = "INTEGER PRIMARY KEY";  // no indexed filter: walk by id
  cases[6].second.annotated = false;
  cases[7].first = "samples_annotated";
  cases[7].second.annotated = true;
  cases[7].second.round_id = f.rounds[0];
  for (const auto& [index, filter] : cases) {
    const std::string plan = f.store.explain_list_samples(filter);
    VERIFY_CONTAINS(plan, index);
    if (plan.find("TEMP B-TREE") != std::string::npos) TPT_FAIL("the page sorts:\n" + plan);
  }
}

TPT_TEST(store, a_round_index_is_ambiguous_across_experiments_until_one_is_chosen) {
  Fixture f;
  auto other = f.store.create_experiment({0, "other", "{}", "", "new", ""});
  f.store.ensure_round(other, 0);
  SampleFilter filter;
  filter.round_index = 0;
  VERIFY_THROWS_WITH(f.store.list_samples(filter), "ambiguous");
  filter.experiment_id = f.experiment;
  COMPARE(f.store.count_samples(filter), std::int64_t{12});
  filter.experiment_id = other;
  COMPARE(f.store.count_samples(filter), std::int64_t{0});
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
