// Tests of samples and their decisions in the experiment store: a full round trip, the resume
// key (round, problem, sample index), batches and transactions that fail whole, and
// re-pruning a round.
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "check.h"
#include "core/error.h"
#include "store/store.h"
#include "store_test_support.h"

using namespace tpt::store;
using namespace tpt::store::test_support;

// ---- round trips -----------------------------------------------------------------------

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

// Rule verdicts are stored as JSON, and the JSON reader refuses malformed UTF-8, overlong
// forms and surrogates included: each such byte must be written as U+FFFD, or the sample's
// decision could no longer be read.
TPT_TEST(store, rule_reasons_with_malformed_utf8_read_back_with_one_replacement_per_bad_byte) {
  Store store(fresh_path());
  auto experiment = store.create_experiment({0, "exp", "{}", "", "new", ""});
  auto round = store.ensure_round(experiment, 0);
  auto problem = store.upsert_problems({{0, experiment, "train", "p", "Q?", "", "1"}}).front();
  auto id = store.insert_samples({make_sample(round, problem, 0)}).ids.front();
  const std::string fffd = "\xef\xbf\xbd";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"cut \xe2\x82", "cut " + fffd + fffd},                        // a sequence cut short
      {"stray \x80\xbf", "stray " + fffd + fffd},                    // continuation bytes alone
      {"bad lead \xf8\xff", "bad lead " + fffd + fffd},              // bytes that never lead
      {"overlong \xc0\xaf", "overlong " + fffd + fffd},              // '/' in two bytes
      {"overlong \xe0\x80\xaf", "overlong " + fffd + fffd + fffd},   // '/' in three bytes
      {"surrogate \xed\xa0\x80", "surrogate " + fffd + fffd + fffd}, // U+D800
      {"too high \xf4\x90\x80\x80", "too high " + fffd + fffd + fffd + fffd},  // U+110000
      {"valid \xf0\x9f\x98\x80 \xef\xbf\xbd", "valid \xf0\x9f\x98\x80 " + fffd},  // kept as they are
  };
  DecisionRecord d{id, true, "", "", std::nullopt, Verdict::Correct, {}, ""};
  for (const auto& c : cases) d.rules.push_back({"rule", Outcome::Pass, c.first});
  store.write_decisions({d});
  const auto detail = store.get_sample(id);
  VERIFY(detail.has_value() && detail->decision.has_value());
  COMPARE(detail->decision->rules.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) COMPARE(detail->decision->rules[i].reason, cases[i].second);
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

// ---- re-pruning and clearing decisions -------------------------------------------------

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
