// The prune step as a whole: a verifier plus an ordered list of rules (rules.h), saved as
// JSON, applied to a round's samples to give one Decision per sample.
//
//   {
//     "verifier": {"extractor": "strict", "normalize": "numeric"},
//     "rules": [
//       {"type": "correct_answer"},
//       {"type": "length", "max_tokens": 1500},
//       {"type": "annotation_override"},
//       {"type": "dedupe", "mode": "normalized"},
//       {"type": "max_per_problem", "k": 1, "select": "random", "seed": 7}
//     ]
//   }
//
// Decision semantics:
//   - every enabled rule records a verdict for every sample (disabled rules record nothing
//     and do nothing); per-sample rules judge all samples, set rules only the samples alive
//     after the rules before them (see rules.h);
//   - a sample is kept when no rule dropped it; otherwise dropped_by/reason name the FIRST
//     rule in list order that failed it;
//   - the result depends only on the input (same samples, same order -> same decisions).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "prune/rules.h"
#include "prune/verifier.h"

namespace tpt::prune {

struct Decision {
  int64_t sample_id = 0;
  bool kept = true;
  std::string dropped_by;  // name of the first rule that dropped the sample; "" when kept
  std::string reason;      // that rule's reason
  Judgement judgement;     // the verifier's view, whether or not a rule used it
  std::vector<RuleVerdict> verdicts;  // one per enabled rule, in list order

  // [{"rule": "correct_answer", "outcome": "fail", "reason": "..."}, ...]; "reason" is
  // omitted when empty.
  nlohmann::json verdicts_json() const;
};

class RuleSet {
 public:
  // verifier {strict, numeric}; rules [correct_answer]
  RuleSet();
  // Validates like parse(); throws ValidationError listing every problem.
  RuleSet(VerifierConfig verifier, std::vector<Rule> rules);

  // The TPT paper's prune: verifier {strict, exact}; rules [correct_answer,
  // max_per_problem{k: 1, select: first}].
  static RuleSet paper();

  // JSON {"verifier": {...}, "rules": [...]}; absent keys keep the defaults of RuleSet().
  // Records every problem in `issues` with its JSON path under `path` ("prune" when the rule
  // set is embedded in experiment.json, "" for a file of its own).
  static RuleSet parse(const nlohmann::json& j, const std::string& path, std::vector<FieldIssue>& issues);
  // Throws ValidationError(source, all issues).
  static RuleSet from_json(const nlohmann::json& j, const std::string& source);
  // File errors and JSON syntax errors (with line and column) name the file.
  static RuleSet load(const std::string& file);
  void save(const std::string& file) const;
  nlohmann::json to_json() const;  // parse(to_json()) gives an equal rule set

  const VerifierConfig& verifier() const { return verifier_; }
  void set_verifier(VerifierConfig verifier) { verifier_ = std::move(verifier); }
  const std::vector<Rule>& rules() const { return rules_; }
  // Validates like parse(); throws ValidationError listing every problem.
  void set_rules(std::vector<Rule> rules);

  // One Decision per sample, in input order. Throws tpt::Error naming a sample when a token
  // bound is set and that sample has no token count (-1): a silent pass would keep over-long
  // samples. Call needs_token_counts() first to know whether to count.
  std::vector<Decision> apply(const std::vector<PruneSample>& samples) const;
  // The same with another domain's verifier in place of the rule set's answer verifier.
  std::vector<Decision> apply(const std::vector<PruneSample>& samples, const Verifier& verifier) const;
  bool needs_token_counts() const;

  bool operator==(const RuleSet& o) const { return to_json() == o.to_json(); }
  bool operator!=(const RuleSet& o) const { return !(*this == o); }

 private:
  VerifierConfig verifier_;
  std::vector<Rule> rules_;
};

}  // namespace tpt::prune
