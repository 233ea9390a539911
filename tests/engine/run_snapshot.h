// What a finished experiment holds, as comparable lines: the runner's tests compare an
// interrupted, resumed or remotely sampled run with an uninterrupted in-process one.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "check.h"
#include "cli_process.h"
#include "store/store.h"

namespace tpt::testing {

// Everything a run produces that must not depend on whether it was interrupted, one line per
// row, in a fixed order. Times are left out.
struct Snapshot {
  std::vector<std::string> samples, decisions, answers, metrics, steps, integrity;
  std::map<std::string, std::string> weights;  // round -> model.safetensors bytes
};

inline std::vector<std::string> rows(tpt::store::Database& db, const std::string& sql) {
  auto q = db.query(sql, "snapshot");
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.text(0));
  return out;
}

inline Snapshot snapshot(const std::string& dir) {
  tpt::store::Store store(dir + "/experiment.sqlite", tpt::store::OpenMode::read_only);
  auto& db = store.database();
  Snapshot s;
  const std::string from = " JOIN rounds r ON r.id = s.round_id JOIN problems p ON p.id = s.problem_id";
  s.samples = rows(db, "SELECT r.round_index || '|' || p.problem_key || '|' || s.sample_index || '|' || s.seed || '|' ||"
                       " s.token_count || '|' || s.finish_reason || '|' || s.text FROM samples s" + from +
                           " ORDER BY r.round_index, p.problem_key, s.sample_index");
  s.decisions = rows(db, "SELECT r.round_index || '|' || p.problem_key || '|' || s.sample_index || '|' || d.kept || '|' ||"
                         " coalesce(d.dropped_by, '') || '|' || d.verdict FROM decisions d JOIN samples s ON"
                         " s.id = d.sample_id" + from + " ORDER BY r.round_index, p.problem_key, s.sample_index");
  s.answers = rows(db, "SELECT r.round_index || '|' || p.problem_key || '|' || s.sample_index || '|' || s.correct_strict ||"
                       " '|' || s.correct_flexible || '|' || s.text FROM eval_samples s" + from +
                           " ORDER BY r.round_index, p.problem_key, s.sample_index");
  s.metrics = rows(db, "SELECT r.round_index || '|' || m.name || '|' || quote(m.value) FROM metrics m JOIN rounds r ON"
                       " r.id = m.round_id WHERE m.name NOT LIKE 'seconds.%' AND m.name NOT LIKE '%per_second'"
                       " ORDER BY r.round_index, m.name");
  s.steps = rows(db, "SELECT r.round_index || '|' || t.step || '|' || quote(t.loss) || '|' || t.tokens FROM train_steps t"
                     " JOIN rounds r ON r.id = t.round_id ORDER BY r.round_index, t.step");
  s.integrity = store.integrity_check();
  for (const char* round : {"1", "2"}) s.weights[round] = slurp(dir + "/models/round-" + round + "/model.safetensors");
  return s;
}

inline void compare_lines(const std::vector<std::string>& got, const std::vector<std::string>& expected, const std::string& what) {
  for (size_t i = 0; i < std::min(got.size(), expected.size()); ++i)
    if (got[i] != expected[i])
      TPT_FAIL(what + " differ at row " + std::to_string(i) + ":\n  got      " + got[i] + "\n  expected " + expected[i]);
  if (got.size() != expected.size())
    TPT_FAIL(what + ": " + std::to_string(got.size()) + " rows, expected " + std::to_string(expected.size()));
}

inline void compare_snapshots(const Snapshot& got, const Snapshot& expected) {
  COMPARE(got.integrity, std::vector<std::string>{"ok"});
  compare_lines(got.samples, expected.samples, "samples");
  compare_lines(got.decisions, expected.decisions, "decisions");
  compare_lines(got.answers, expected.answers, "evaluation answers");
  compare_lines(got.metrics, expected.metrics, "metrics");
  compare_lines(got.steps, expected.steps, "training steps");
  for (const auto& [round, bytes] : expected.weights) {
    VERIFY(!bytes.empty());
    if (got.weights.at(round) != bytes) TPT_FAIL("the model of round " + round + " differs from the uninterrupted run's");
  }
}

}  // namespace tpt::testing
