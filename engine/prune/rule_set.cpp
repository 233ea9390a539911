#include "prune/rule_set.h"

#include <algorithm>
#include <map>

#include "io/json_fields.h"
#include "prune/code_verifier.h"

namespace tpt::prune {

using nlohmann::json;

json Decision::verdicts_json() const {
  json out = json::array();
  for (const auto& v : verdicts) {
    json item{{"rule", v.rule}, {"outcome", to_string(v.outcome)}};
    if (!v.reason.empty()) item["reason"] = v.reason;
    out.push_back(std::move(item));
  }
  return out;
}

RuleSet::RuleSet() : rules_{Rule(RuleType::CorrectAnswer)} {}

RuleSet::RuleSet(VerifierConfig verifier, std::vector<Rule> rules) : verifier_(std::move(verifier)) {
  set_rules(std::move(rules));
}

RuleSet RuleSet::paper() {
  RuleSet set;
  set.verifier_ = VerifierConfig{Extractor::Strict, NormalizeConfig::exact()};
  Rule keep_first(RuleType::MaxPerProblem);
  keep_first.k = 1;
  keep_first.select = Select::First;
  set.rules_ = {Rule(RuleType::CorrectAnswer), keep_first};
  return set;
}

RuleSet RuleSet::parse(const json& j, const std::string& path, std::vector<FieldIssue>& issues) {
  RuleSet set;
  io::JsonObjectReader reader(j, path, issues);
  if (const json* verifier = reader.child("verifier"))
    set.verifier_ = VerifierConfig::parse(*verifier, reader.child_path("verifier"), issues);
  if (const json* rules = reader.child("rules")) {
    const std::string rules_path = reader.child_path("rules");
    if (!rules->is_array()) {
      issues.push_back({rules_path, "must be an array of rules, got " + io::describe_json(*rules)});
    } else {
      set.rules_.clear();
      // Names are what decision records point at, so two rules may not share one.
      std::map<std::string, size_t> first_with_name;
      for (size_t i = 0; i < rules->size(); ++i) {
        const std::string rule_path = io::json_path(rules_path, i);
        const size_t issues_before = issues.size();
        auto rule = Rule::parse((*rules)[i], rule_path, issues);
        if (!rule) continue;
        const std::string name_path = io::json_path(rule_path, "name");
        const bool bad_name = std::any_of(issues.begin() + issues_before, issues.end(),
                                          [&](const FieldIssue& issue) { return issue.path == name_path; });
        if (!bad_name) {  // a bad name already has its own issue
          auto [it, inserted] = first_with_name.try_emplace(rule->name, i);
          if (!inserted)
            issues.push_back({name_path, "\"" + rule->name + "\" is already the name of " +
                                             io::json_path(rules_path, it->second) + "; give each rule a distinct \"name\""});
        }
        set.rules_.push_back(std::move(*rule));
      }
    }
  }
  reader.finish();
  return set;
}

RuleSet RuleSet::from_json(const json& j, const std::string& source) {
  std::vector<FieldIssue> issues;
  RuleSet set = parse(j, "", issues);
  io::throw_if_issues(source, std::move(issues));
  return set;
}

RuleSet RuleSet::load(const std::string& file) { return from_json(io::read_json_file(file), file); }

void RuleSet::save(const std::string& file) const { io::write_json_file(file, to_json()); }

json RuleSet::to_json() const {
  json rules = json::array();
  for (const auto& rule : rules_) rules.push_back(rule.to_json());
  return json{{"verifier", verifier_.to_json()}, {"rules", std::move(rules)}};
}

void RuleSet::set_rules(std::vector<Rule> rules) {
  // Rules built in code get the same checks as rules read from a file.
  RuleSet candidate;
  candidate.verifier_ = verifier_;
  candidate.rules_ = std::move(rules);
  *this = from_json(candidate.to_json(), "rule set");
}

bool RuleSet::needs_token_counts() const {
  return std::any_of(rules_.begin(), rules_.end(), [](const Rule& r) { return r.needs_token_counts(); });
}

std::vector<Decision> RuleSet::apply(const std::vector<PruneSample>& samples) const {
  return apply(samples, ProblemVerifier(verifier_));
}

std::vector<Decision> RuleSet::apply(const std::vector<PruneSample>& samples, const Verifier& verifier) const {
  for (const auto& rule : rules_) {
    if (!rule.needs_token_counts()) continue;
    size_t missing = 0;
    const PruneSample* first = nullptr;
    for (const auto& s : samples)
      if (s.token_count < 0 && missing++ == 0) first = &s;
    if (missing)
      throw Error("rule \"" + rule.name + "\" has a token bound, but sample " + std::to_string(first->id) +
                  (missing > 1 ? " (and " + std::to_string(missing - 1) + " more)" : std::string()) +
                  " has no token count");
  }

  const bool override_active = std::any_of(rules_.begin(), rules_.end(), [](const Rule& r) {
    return r.enabled && r.type == RuleType::AnnotationOverride;
  });
  const size_t enabled_rules = std::count_if(rules_.begin(), rules_.end(), [](const Rule& r) { return r.enabled; });

  std::vector<Decision> decisions(samples.size());
  {
    std::vector<Verifier::Item> items;
    items.reserve(samples.size());
    for (const auto& s : samples) items.push_back({s.completion, s.gold, s.judged});
    std::vector<Judgement> judgements = verifier.judge_all(items);
    for (size_t i = 0; i < samples.size(); ++i) {
      decisions[i].sample_id = samples[i].id;
      decisions[i].judgement = std::move(judgements[i]);
      decisions[i].verdicts.reserve(enabled_rules);
    }
  }
  std::vector<char> alive(samples.size(), 1);
  auto record = [&](size_t i, RuleVerdict verdict) {
    Decision& d = decisions[i];
    if (verdict.outcome == Outcome::Fail && alive[i]) {
      alive[i] = 0;
      d.kept = false;
      d.dropped_by = verdict.rule;
      d.reason = verdict.reason;
    }
    d.verdicts.push_back(std::move(verdict));
  };

  for (const auto& rule : rules_) {
    if (!rule.enabled) continue;
    if (rule.is_set_rule()) {
      std::vector<SetRuleDrop> drops = apply_set_rule(rule, samples, alive);
      auto drop = drops.begin();
      for (size_t i = 0; i < samples.size(); ++i) {
        if (!alive[i]) {
          record(i, {rule.name, Outcome::Skipped, "already dropped by " + decisions[i].dropped_by});
        } else if (drop != drops.end() && drop->index == i) {
          record(i, {rule.name, Outcome::Fail, std::move(drop->reason)});
          ++drop;
        } else {
          record(i, {rule.name, Outcome::Pass, {}});
        }
      }
    } else {
      for (size_t i = 0; i < samples.size(); ++i) {
        const bool accepted = override_active && samples[i].annotation == AnnotationLabel::Accept;
        record(i, check_sample(rule, samples[i], decisions[i].judgement, accepted));
      }
    }
  }
  return decisions;
}

}  // namespace tpt::prune
