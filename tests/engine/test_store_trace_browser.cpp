// Tests of the trace browser's queries: each filter and their combinations against the
// fixture's hand-computed expectations, keyset paging, and query plans that stay index range
// scans without a sort.
#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "check.h"
#include "store/store.h"
#include "store_test_support.h"

using namespace tpt::store;
using namespace tpt::store::test_support;

namespace {

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

}  // namespace

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
  filter.problem_key_prefix = "gsm8k-2";
  check_filter(f, "problem key prefix", filter, [](const Known& k) { return k.problem == 2; });
  filter.problem_key_prefix = "gsm8k";
  check_filter(f, "problem key prefix of all", filter, [](const Known&) { return true; });
  filter.problem_key_prefix = "GSM8K";  // ids are matched as written
  check_filter(f, "problem key prefix, other case", filter, [](const Known&) { return false; });
  filter.problem_key_prefix = "gsm8k_";  // '_' is no wildcard
  check_filter(f, "problem key prefix with an underscore", filter, [](const Known&) { return false; });

  using Audit = CheckerAudit;
  for (auto [audit, name] : {std::pair{Audit::Disagree, "disagree"}, {Audit::StrictWrongFlexibleRight, "flexible only"},
                             {Audit::StrictRightFlexibleWrong, "strict only"}}) {
    filter = {};
    filter.checkers = audit;
    const auto matches = [audit = audit](const Known& k) {
      if (!k.strict || !k.flexible || *k.strict == *k.flexible) return false;
      return audit == Audit::Disagree || *k.strict == (audit == Audit::StrictRightFlexibleWrong);
    };
    check_filter(f, std::string("checkers ") + name, filter, matches);
    filter.round_id = f.rounds[1];
    check_filter(f, std::string("round + checkers ") + name, filter,
                 [&](const Known& k) { return k.round == 1 && matches(k); });
  }

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
  std::vector<std::pair<std::string, SampleFilter>> cases(10);
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
  cases[8].first = "samples_checkers_disagree";
  cases[8].second.round_id = f.rounds[1];
  cases[8].second.checkers = CheckerAudit::StrictWrongFlexibleRight;
  cases[9].first = "samples_checkers_disagree";
  cases[9].second.round_index = 1;
  cases[9].second.experiment_id = f.experiment;
  cases[9].second.checkers = CheckerAudit::StrictRightFlexibleWrong;
  cases[9].second.verdict = Verdict::Correct;
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
