#include "report/experiment_report.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "run/paths.h"
#include "store/store.h"

namespace tpt::report {

std::string problem_title(const std::string& question, std::size_t max_chars) {
  std::vector<std::string> words;
  std::string word;
  for (char c : question) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  std::string title;
  for (const auto& w : words) {
    const std::size_t length = title.empty() ? w.size() : title.size() + 1 + w.size();
    if (length > max_chars) {
      if (title.empty()) {
        // One word longer than the title (a URL, a formula): cut it at a character boundary.
        std::size_t cut = max_chars;
        while (cut > 0 && (static_cast<unsigned char>(w[cut]) & 0xC0) == 0x80) --cut;
        title = w.substr(0, cut);
      }
      // A sentence's last character before the cut reads badly before "…": "to 48 of her,…".
      while (!title.empty() && (title.back() == ',' || title.back() == ';' || title.back() == ':')) title.pop_back();
      return title + "\xE2\x80\xA6";  // …
    }
    if (!title.empty()) title += ' ';
    title += w;
  }
  return title;
}

namespace {

struct Opened {
  run::ExperimentPaths paths;
  store::Store store;
  store::ExperimentRecord experiment;
};

Opened open_experiment(const std::string& dir_or_file) {
  run::ExperimentPaths paths = run::ExperimentPaths::locate(dir_or_file);
  if (!std::filesystem::exists(paths.store_file)) throw Error(paths.dir + ": no experiment database here");
  store::Store store(paths.store_file, store::OpenMode::read_only);
  const auto experiments = store.list_experiments();
  if (experiments.empty()) throw Error(paths.dir + ": no experiment has run here yet");
  const store::ExperimentRecord experiment = experiments.front();
  return {std::move(paths), std::move(store), experiment};
}

// The names of the round's enabled rules in pipeline order, from the settings it ran with.
std::vector<std::string> rule_names(const std::string& config_json) {
  std::vector<std::string> names;
  const auto config = nlohmann::json::parse(config_json, nullptr, false);
  if (!config.is_object() || !config.contains("prune") || !config["prune"].is_object()) return names;
  const auto& rules = config["prune"].value("rules", nlohmann::json::array());
  if (!rules.is_array()) return names;
  for (const auto& rule : rules) {
    if (!rule.is_object() || !rule.value("enabled", true)) continue;
    std::string name = rule.contains("name") && rule["name"].is_string() ? rule["name"].get<std::string>() : "";
    if (name.empty() && rule.contains("type") && rule["type"].is_string()) name = rule["type"].get<std::string>();
    if (!name.empty()) names.push_back(name);
  }
  return names;
}

StoredFunnel read_funnel(store::Store& store, std::int64_t experiment_id, int round_index) {
  StoredFunnel funnel;
  const auto rounds = store.list_rounds(experiment_id);
  for (auto it = rounds.rbegin(); it != rounds.rend(); ++it) {
    if (round_index >= 0 && it->round_index != round_index) continue;
    store::SampleFilter pruned;
    pruned.round_id = it->id;
    pruned.kept = true;
    const std::int64_t kept = store.count_samples(pruned);
    pruned.kept = false;
    const std::int64_t dropped = store.count_samples(pruned);
    if (kept + dropped == 0) {
      if (round_index >= 0) break;
      continue;  // not pruned (yet): the round before may be
    }
    store::SampleFilter all;
    all.round_id = it->id;
    funnel.round = it->round_index;
    funnel.samples = store.count_samples(all);
    funnel.kept = kept;
    // Rules of the rule set first, in its order (a rule that dropped nothing shows 0), then any
    // other rule named by a decision (the round re-pruned with rules since removed).
    std::vector<std::string> names = rule_names(it->config_json);
    for (const auto& name : store.dropping_rules(it->id))
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    std::int64_t remaining = funnel.samples;
    for (const auto& name : names) {
      store::SampleFilter by_rule;
      by_rule.round_id = it->id;
      by_rule.dropped_by = name;
      const std::int64_t count = store.count_samples(by_rule);
      remaining -= count;
      funnel.steps.push_back({name, count, remaining});
    }
    break;
  }
  return funnel;
}

std::vector<RoundAnswer> read_answers(store::Store& store, std::int64_t experiment_id, std::int64_t problem_id) {
  std::vector<RoundAnswer> cards;
  for (const auto& r : store.list_rounds(experiment_id)) {
    if (r.state != store::RoundState::Done) continue;
    const auto answers = store.list_eval_samples(r.id, problem_id);
    if (answers.empty()) continue;
    RoundAnswer card;
    card.round = r.round_index;
    card.answers = static_cast<int>(answers.size());
    for (const auto& a : answers) card.correct += a.correct_strict ? 1 : 0;
    card.solved = 2 * card.correct >= card.answers;
    for (const auto& a : answers)
      if (a.correct_strict == card.solved) {
        card.text = a.text;
        card.extracted = a.extracted_strict;
        break;
      }
    cards.push_back(std::move(card));
  }
  return cards;
}

// Where a learned problem was first solved for good: the index after its last unsolved round.
// `steady`: it was never unsolved again after its first solved round.
struct LearnedShape {
  bool steady = false;
  std::size_t since = 0;
};

LearnedShape shape_of(const ProblemTrajectory& t) {
  LearnedShape shape;
  std::size_t first_solved = t.accuracy.size(), last_unsolved = 0;
  for (std::size_t i = 0; i < t.accuracy.size(); ++i) {
    if (t.accuracy[i] >= 0.5) first_solved = std::min(first_solved, i);
    else last_unsolved = i;
  }
  shape.since = last_unsolved + 1;
  shape.steady = first_solved == shape.since;
  return shape;
}

int fate_rank(ProblemFate fate) {
  switch (fate) {
    case ProblemFate::Learned: return 0;
    case ProblemFate::AlwaysSolved: return 1;
    case ProblemFate::Forgotten: return 2;
    case ProblemFate::NeverSolved: return 3;
  }
  return 4;
}

}  // namespace

StoredFunnel stored_funnel(const std::string& dir_or_file, int round_index) {
  Opened opened = open_experiment(dir_or_file);
  return read_funnel(opened.store, opened.experiment.id, round_index);
}

std::vector<ProblemTrajectory> problems_for_showing(const ProblemSummary& summary) {
  std::vector<ProblemTrajectory> problems = summary.problems;
  std::stable_sort(problems.begin(), problems.end(), [](const ProblemTrajectory& a, const ProblemTrajectory& b) {
    if (a.fate != b.fate) return fate_rank(a.fate) < fate_rank(b.fate);
    if (a.fate != ProblemFate::Learned) return a.problem_id < b.problem_id;
    const LearnedShape sa = shape_of(a), sb = shape_of(b);
    if (sa.steady != sb.steady) return sa.steady;
    if (sa.since != sb.since) return sa.since < sb.since;
    // The clearest change: all right at the end, all wrong at the start.
    if (a.accuracy.back() != b.accuracy.back()) return a.accuracy.back() > b.accuracy.back();
    if (a.accuracy.front() != b.accuracy.front()) return a.accuracy.front() < b.accuracy.front();
    return a.problem_id < b.problem_id;
  });
  return problems;
}

std::vector<RoundAnswer> problem_answers(const std::string& dir_or_file, int64_t problem_id) {
  Opened opened = open_experiment(dir_or_file);
  return read_answers(opened.store, opened.experiment.id, problem_id);
}

ExperimentReport read_experiment_report(const std::string& dir_or_file, std::size_t examples) {
  ExperimentReport report;
  report.status = read_status(dir_or_file);
  Opened opened = open_experiment(dir_or_file);
  report.created_at = opened.experiment.created_at;
  report.funnel = read_funnel(opened.store, opened.experiment.id, -1);
  report.problems = summarize_problems(dir_or_file);
  for (const auto& problem : problems_for_showing(report.problems)) {
    if (report.learned.size() >= examples || problem.fate != ProblemFate::Learned) break;
    const auto cards = read_answers(opened.store, opened.experiment.id, problem.problem_id);
    if (cards.size() < 2 || cards.front().solved || !cards.back().solved) continue;
    report.learned.push_back({problem, cards.front(), cards.back()});
  }
  return report;
}

}  // namespace tpt::report
