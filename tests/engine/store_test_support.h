// What the experiment store's tests (test_store_*.cpp) share: a fresh file per test, a
// sample record with plausible values, and the fixture whose contents are known row by row,
// so a filter's expected result can be computed by hand.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "check.h"
#include "store/store.h"

namespace tpt::store::test_support {

inline std::string fresh_path() { return tpt::testing::temp_dir() + "/experiment.sqlite"; }

inline SampleRecord make_sample(std::int64_t round_id, std::int64_t problem_id, int index,
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
  std::optional<bool> strict, flexible;  // the checkers' verdicts as stored; empty: not checked
};

// 2 rounds × 4 problems × 3 samples. Sample index 0 is correct, 1 wrong, 2 has no answer;
// problem 3's correct samples are dropped by "k_per_problem". Three samples are annotated,
// one of them twice (latest label wins). The checkers: sample 0 is right by both but problem
// 3's, which only the strict one takes; sample 1 is wrong by both but problems 0's and 2's,
// which the flexible one takes; sample 2 is not checked.
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
          std::optional<bool> strict, flexible;
          if (i == 0) strict = true, flexible = p != 3;
          if (i == 1) strict = false, flexible = p % 2 == 0;
          samples.back().correct_strict = strict;
          samples.back().correct_flexible = flexible;
          known.push_back({0, r, p, i, verdict, dropped_by.empty(), dropped_by, std::nullopt, text, strict, flexible});
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

inline std::vector<std::int64_t> ids_of(const std::vector<SampleRow>& rows) {
  std::vector<std::int64_t> ids;
  for (const auto& row : rows) ids.push_back(row.sample_id);
  return ids;
}

inline std::string show_ids(const std::vector<std::int64_t>& ids) {
  std::string text = "[";
  for (auto id : ids) text += (text.size() > 1 ? "," : "") + std::to_string(id);
  return text + "]";
}

}  // namespace tpt::store::test_support
