// Building samples and rule sets in the prune tests.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "prune/rule_set.h"

inline tpt::prune::PruneSample sample(int64_t id, std::string problem, std::string completion,
                                      std::string gold = "18", int64_t tokens = -1) {
  tpt::prune::PruneSample s;
  s.id = id;
  s.problem_key = std::move(problem);
  s.completion = std::move(completion);
  s.gold = std::move(gold);
  s.token_count = tokens;
  return s;
}

// A rule set from JSON text, the form users write.
inline tpt::prune::RuleSet rules(const char* json_text) {
  return tpt::prune::RuleSet::from_json(nlohmann::json::parse(json_text), "test");
}
