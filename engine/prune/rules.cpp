#include "prune/rules.h"

#include <algorithm>
#include <unordered_map>

#include "core/hash.h"
#include "core/text.h"
#include "io/json_fields.h"
#include "prune/calculator.h"

namespace tpt::prune {

using nlohmann::json;

const char* to_string(AnnotationLabel label) {
  switch (label) {
    case AnnotationLabel::None: return "";
    case AnnotationLabel::Accept: return "accept";
    case AnnotationLabel::Reject: return "reject";
    case AnnotationLabel::Flag: return "flag";
  }
  return "";
}

std::optional<AnnotationLabel> parse_annotation_label(std::string_view text) {
  if (text.empty()) return AnnotationLabel::None;
  if (text == "accept") return AnnotationLabel::Accept;
  if (text == "reject") return AnnotationLabel::Reject;
  if (text == "flag") return AnnotationLabel::Flag;
  return std::nullopt;
}

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::Pass: return "pass";
    case Outcome::Fail: return "fail";
    case Outcome::Skipped: return "skipped";
    case Outcome::Overridden: return "overridden";
  }
  return "pass";
}

std::optional<Outcome> parse_outcome(std::string_view text) {
  if (text == "pass") return Outcome::Pass;
  if (text == "fail") return Outcome::Fail;
  if (text == "skipped") return Outcome::Skipped;
  if (text == "overridden") return Outcome::Overridden;
  return std::nullopt;
}

namespace {

struct TypeName {
  RuleType type;
  const char* name;
};
constexpr TypeName kTypeNames[] = {
    {RuleType::CorrectAnswer, "correct_answer"}, {RuleType::HasFinalAnswer, "has_final_answer"},
    {RuleType::Length, "length"},                {RuleType::Dedupe, "dedupe"},
    {RuleType::MaxPerProblem, "max_per_problem"}, {RuleType::AnnotationOverride, "annotation_override"},
    {RuleType::CalculatorCheck, "calculator_check"}, {RuleType::TestsPass, "tests_pass"},
};

}  // namespace

const char* to_string(RuleType type) {
  for (const auto& t : kTypeNames)
    if (t.type == type) return t.name;
  return "correct_answer";
}

std::optional<RuleType> parse_rule_type(std::string_view text) {
  for (const auto& t : kTypeNames)
    if (text == t.name) return t.type;
  return std::nullopt;
}

std::vector<std::string> rule_type_names() {
  std::vector<std::string> names;
  for (const auto& t : kTypeNames) names.push_back(t.name);
  return names;
}

const char* to_string(DedupeMode mode) { return mode == DedupeMode::Exact ? "exact" : "normalized"; }

const char* to_string(TestsMode mode) {
  switch (mode) {
    case TestsMode::All: return "all";
    case TestsMode::Any: return "any";
    case TestsMode::PublicOnly: return "public_only";
  }
  return "all";
}

const char* to_string(Select select) {
  switch (select) {
    case Select::First: return "first";
    case Select::Shortest: return "shortest";
    case Select::Random: return "random";
  }
  return "first";
}

Rule::Rule(RuleType t) : type(t), name(to_string(t)) {}

bool Rule::needs_token_counts() const {
  return enabled && type == RuleType::Length && (min_tokens || max_tokens);
}

// ---- JSON ---------------------------------------------------------------------------------

// An unknown type gets the same "did you mean" as an unknown key: run the reader's
// suggestion logic over a one-key object whose key is the type given.
static std::string unknown_type_message(const std::string& given, const std::string& path) {
  std::vector<FieldIssue> probe_issues;
  json probe = json::object();
  probe[given] = nullptr;
  io::JsonObjectReader probe_reader(probe, path, probe_issues);
  for (const auto& name : rule_type_names()) probe_reader.child(name.c_str());
  probe_reader.finish();
  std::string hint;
  if (!probe_issues.empty()) {
    const std::string& m = probe_issues.front().message;
    auto open = m.find(" (did you mean");
    if (open != std::string::npos) hint = m.substr(open);
  }
  return "unknown rule type \"" + given + "\"" + hint + "; must be one of " + quoted_list(rule_type_names());
}

std::optional<Rule> Rule::parse(const json& j, const std::string& path, std::vector<FieldIssue>& issues) {
  io::JsonObjectReader reader(j, path, issues);
  if (!reader.is_object()) return std::nullopt;
  const json* type_value = reader.child("type");
  if (!type_value) {
    reader.fail("type", "missing; must be one of " + quoted_list(rule_type_names()));
    return std::nullopt;
  }
  if (!type_value->is_string()) {
    reader.fail("type", "must be one of " + quoted_list(rule_type_names()) + ", got " + io::describe_json(*type_value));
    return std::nullopt;
  }
  auto type = parse_rule_type(type_value->get<std::string>());
  if (!type) {
    reader.fail("type", unknown_type_message(type_value->get<std::string>(), path));
    return std::nullopt;
  }

  Rule rule(*type);
  reader.boolean("enabled", rule.enabled);
  reader.string("name", rule.name, /*allow_empty=*/false);

  switch (rule.type) {
    case RuleType::CorrectAnswer:
    case RuleType::HasFinalAnswer:
    case RuleType::AnnotationOverride:
    case RuleType::CalculatorCheck:
      break;
    case RuleType::Length: {
      const io::IntRange non_negative{0};
      reader.optional_integer("min_tokens", rule.min_tokens, non_negative);
      reader.optional_integer("max_tokens", rule.max_tokens, non_negative);
      reader.optional_integer("min_chars", rule.min_chars, non_negative);
      reader.optional_integer("max_chars", rule.max_chars, non_negative);
      // A bound given with a bad value has its own issue; only a rule with none gets this one.
      if (!reader.has("min_tokens") && !reader.has("max_tokens") && !reader.has("min_chars") && !reader.has("max_chars"))
        issues.push_back({path, "a length rule needs at least one of \"min_tokens\", \"max_tokens\", "
                                "\"min_chars\", \"max_chars\""});
      if (rule.min_tokens && rule.max_tokens && *rule.min_tokens > *rule.max_tokens)
        reader.fail("min_tokens", "must be <= max_tokens (" + std::to_string(*rule.max_tokens) + "), got " +
                                      std::to_string(*rule.min_tokens));
      if (rule.min_chars && rule.max_chars && *rule.min_chars > *rule.max_chars)
        reader.fail("min_chars", "must be <= max_chars (" + std::to_string(*rule.max_chars) + "), got " +
                                     std::to_string(*rule.min_chars));
      break;
    }
    case RuleType::Dedupe: {
      std::string mode = to_string(rule.mode);
      reader.choice("mode", mode, {"exact", "normalized"});
      rule.mode = mode == "normalized" ? DedupeMode::Normalized : DedupeMode::Exact;
      break;
    }
    case RuleType::TestsPass: {
      std::string mode = to_string(rule.tests);
      reader.choice("mode", mode, {"all", "any", "public_only"});
      rule.tests = mode == "any" ? TestsMode::Any : mode == "public_only" ? TestsMode::PublicOnly : TestsMode::All;
      break;
    }
    case RuleType::MaxPerProblem: {
      reader.integer("k", rule.k, io::IntRange{1});
      std::string select = to_string(rule.select);
      reader.choice("select", select, {"first", "shortest", "random"});
      rule.select = select == "random" ? Select::Random : select == "shortest" ? Select::Shortest : Select::First;
      int64_t seed = static_cast<int64_t>(rule.seed);
      reader.integer("seed", seed, io::IntRange{0});
      rule.seed = static_cast<uint64_t>(seed);
      break;
    }
  }
  reader.finish();
  return rule;
}

json Rule::to_json() const {
  json j = json::object();
  j["type"] = to_string(type);
  if (name != to_string(type)) j["name"] = name;
  if (!enabled) j["enabled"] = false;
  switch (type) {
    case RuleType::CorrectAnswer:
    case RuleType::HasFinalAnswer:
    case RuleType::AnnotationOverride:
    case RuleType::CalculatorCheck:
      break;
    case RuleType::Length:
      if (min_tokens) j["min_tokens"] = *min_tokens;
      if (max_tokens) j["max_tokens"] = *max_tokens;
      if (min_chars) j["min_chars"] = *min_chars;
      if (max_chars) j["max_chars"] = *max_chars;
      break;
    case RuleType::Dedupe:
      j["mode"] = to_string(mode);
      break;
    case RuleType::TestsPass:
      j["mode"] = to_string(tests);
      break;
    case RuleType::MaxPerProblem:
      j["k"] = k;
      j["select"] = to_string(select);
      if (select == Select::Random) j["seed"] = seed;
      break;
  }
  return j;
}

// ---- per-sample rules ---------------------------------------------------------------------

int64_t count_chars(std::string_view text) {
  int64_t n = 0;
  for (char c : text)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

static std::string annotator_text(const PruneSample& sample) {
  return sample.annotator.empty() ? std::string("an annotator") : "annotator " + sample.annotator;
}

// The verifier's reason is the rule's: has_final_answer fails only without an answer,
// correct_answer on any verdict but Correct.
static RuleVerdict check_verifier_rule(const Rule& rule, const PruneSample& sample, const Judgement& j, bool accepted) {
  RuleVerdict v{rule.name, Outcome::Pass, {}};
  if (j.verdict == Verdict::NoAnswer || (rule.type == RuleType::CorrectAnswer && j.verdict != Verdict::Correct)) {
    v.outcome = Outcome::Fail;
    v.reason = j.reason;
  }
  if (v.outcome == Outcome::Fail && accepted) {
    v.outcome = Outcome::Overridden;
    v.reason = "accepted by " + annotator_text(sample) + " (verifier: " + v.reason + ")";
  }
  return v;
}

// Code samples: how many of the problem's tests the program passed, against the rule's mode.
// The verdict's reason says what failed and how far the program got, so the decision record
// reads "wrong answer on test 3 of 10 (2 passed); mode all needs every test".
static RuleVerdict check_tests_pass(const Rule& rule, const PruneSample& sample, const Judgement& j, bool accepted) {
  RuleVerdict v{rule.name, Outcome::Pass, {}};
  if (!j.code) {
    v.outcome = Outcome::Fail;
    v.reason = "not a code problem: tests_pass judges programs against unit tests";
  } else {
    const code::CodeJudgement& c = *j.code;
    switch (rule.tests) {
      case TestsMode::All:
        if (c.verdict != code::CodeVerdict::Accepted || c.passed < c.total) {
          v.outcome = Outcome::Fail;
          v.reason = c.message + "; mode all needs every test";
        }
        break;
      case TestsMode::Any:
        if (c.passed < 1) {
          v.outcome = Outcome::Fail;
          v.reason = c.message + "; mode any needs one test";
        } else if (c.passed < c.total) {
          v.reason = std::to_string(c.passed) + " of " + std::to_string(c.total) + " tests passed";
        }
        break;
      case TestsMode::PublicOnly:
        if (c.public_total == 0) {
          v.outcome = Outcome::Fail;
          v.reason = "the problem has no public tests; mode public_only needs them";
        } else if (c.public_passed < c.public_total) {
          v.outcome = Outcome::Fail;
          v.reason = c.message + "; mode public_only needs the " + std::to_string(c.public_total) + " public tests";
        }
        break;
    }
  }
  if (v.outcome == Outcome::Fail && accepted) {
    v.outcome = Outcome::Overridden;
    v.reason = "accepted by " + annotator_text(sample) + " (verifier: " + v.reason + ")";
  }
  return v;
}

static RuleVerdict check_length(const Rule& rule, const PruneSample& sample) {
  RuleVerdict v{rule.name, Outcome::Pass, {}};
  auto fail = [&](int64_t value, const char* unit, const char* op, const char* bound, int64_t limit) {
    v.outcome = Outcome::Fail;
    v.reason = std::to_string(value) + " " + unit + " " + op + " " + bound + " " + std::to_string(limit);
  };
  // A missing token count is caught for the whole batch in RuleSet::apply; this guards direct
  // callers, who would otherwise see every sample pass.
  if ((rule.min_tokens || rule.max_tokens) && sample.token_count < 0)
    throw Error("rule \"" + rule.name + "\": sample " + std::to_string(sample.id) +
                " has no token count, but the rule has a token bound");
  if (rule.max_tokens && sample.token_count > *rule.max_tokens)
    fail(sample.token_count, "tokens", ">", "max_tokens", *rule.max_tokens);
  else if (rule.min_tokens && sample.token_count < *rule.min_tokens)
    fail(sample.token_count, "tokens", "<", "min_tokens", *rule.min_tokens);
  if (v.outcome == Outcome::Pass && (rule.min_chars || rule.max_chars)) {
    const int64_t chars = count_chars(sample.completion);
    if (rule.max_chars && chars > *rule.max_chars)
      fail(chars, "chars", ">", "max_chars", *rule.max_chars);
    else if (rule.min_chars && chars < *rule.min_chars)
      fail(chars, "chars", "<", "min_chars", *rule.min_chars);
  }
  return v;
}

static RuleVerdict check_annotation(const Rule& rule, const PruneSample& sample) {
  RuleVerdict v{rule.name, Outcome::Pass, {}};
  switch (sample.annotation) {
    case AnnotationLabel::Reject:
      v.outcome = Outcome::Fail;
      v.reason = "rejected by " + annotator_text(sample);
      break;
    case AnnotationLabel::Accept:
      v.reason = "accepted by " + annotator_text(sample);
      break;
    case AnnotationLabel::Flag:
      v.reason = "flagged by " + annotator_text(sample);
      break;
    case AnnotationLabel::None:
      break;
  }
  return v;
}

RuleVerdict check_sample(const Rule& rule, const PruneSample& sample, const Judgement& judgement, bool accepted) {
  switch (rule.type) {
    case RuleType::CorrectAnswer:
    case RuleType::HasFinalAnswer: return check_verifier_rule(rule, sample, judgement, accepted);
    case RuleType::TestsPass: return check_tests_pass(rule, sample, judgement, accepted);
    case RuleType::Length: return check_length(rule, sample);
    case RuleType::AnnotationOverride: return check_annotation(rule, sample);
    case RuleType::CalculatorCheck: {
      RuleVerdict v{rule.name, Outcome::Pass, {}};
      if (auto error = find_calculator_error(sample.completion)) {
        v.outcome = Outcome::Fail;
        v.reason = *error;
      }
      return v;
    }
    case RuleType::Dedupe:
    case RuleType::MaxPerProblem: break;
  }
  throw Error("rule \"" + rule.name + "\" (" + to_string(rule.type) + ") is a set rule, not a per-sample rule");
}

// ---- set rules ----------------------------------------------------------------------------

namespace {

// Whitespace runs -> one space, trimmed, ASCII lower case: the text "normalized" dedupe compares.
void normalized_text(std::string_view text, std::string& out) {
  out.resize(text.size());  // never longer than the input
  size_t n = 0;
  bool pending_space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      pending_space = n > 0;
      continue;
    }
    if (pending_space) out[n++] = ' ';
    pending_space = false;
    out[n++] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  out.resize(n);
}

std::vector<SetRuleDrop> apply_dedupe(const Rule& rule, const std::vector<PruneSample>& samples,
                                      const std::vector<char>& alive) {
  constexpr size_t kNone = static_cast<size_t>(-1);
  std::vector<SetRuleDrop> drops;
  // hash -> first kept sample with that hash; further kept samples with the same hash (true
  // collisions, not duplicates) chain through next[], so equality is always checked on text.
  std::unordered_map<uint64_t, size_t> heads;
  heads.reserve(samples.size());
  std::vector<size_t> next(samples.size(), kNone);
  const bool normalized = rule.mode == DedupeMode::Normalized;
  std::string text, other;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (!alive[i]) continue;
    const PruneSample& s = samples[i];
    std::string_view key = s.completion;
    if (normalized) {
      normalized_text(s.completion, text);
      key = text;
    }
    const uint64_t hash = fnv1a64(key, mix64(fnv1a64(s.problem_key)));
    auto [it, inserted] = heads.try_emplace(hash, i);
    if (inserted) continue;
    size_t found = kNone;
    for (size_t j = it->second; j != kNone; j = next[j]) {
      const PruneSample& t = samples[j];
      if (t.problem_key != s.problem_key) continue;
      std::string_view other_key = t.completion;
      if (normalized) {
        normalized_text(t.completion, other);
        other_key = other;
      }
      if (other_key == key) {
        found = j;
        break;
      }
    }
    if (found != kNone) {
      drops.push_back({i, "duplicate of sample " + std::to_string(samples[found].id)});
    } else {
      next[i] = it->second;
      it->second = i;
    }
  }
  return drops;
}

std::vector<SetRuleDrop> apply_max_per_problem(const Rule& rule, const std::vector<PruneSample>& samples,
                                               const std::vector<char>& alive) {
  std::vector<SetRuleDrop> drops;
  std::unordered_map<std::string_view, size_t> group_of;
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (!alive[i]) continue;
    auto [it, inserted] = group_of.try_emplace(samples[i].problem_key, groups.size());
    if (inserted) groups.emplace_back();
    groups[it->second].push_back(i);  // input order within a group
  }
  const size_t k = static_cast<size_t>(rule.k);
  const std::string reason_tail = " (k=" + std::to_string(rule.k) + ", select " + to_string(rule.select) + ")";
  const std::string reason = "problem already has " + std::to_string(rule.k) +
                             (rule.k == 1 ? " kept sample" : " kept samples") + reason_tail;
  for (auto& group : groups) {
    if (group.size() <= k) continue;
    if (rule.select == Select::Shortest) {
      bool all_counted = std::all_of(group.begin(), group.end(), [&](size_t i) { return samples[i].token_count >= 0; });
      std::vector<std::pair<int64_t, size_t>> keyed;
      keyed.reserve(group.size());
      for (size_t i : group)
        keyed.emplace_back(all_counted ? samples[i].token_count : count_chars(samples[i].completion), i);
      std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      for (size_t n = 0; n < keyed.size(); ++n) group[n] = keyed[n].second;
    } else if (rule.select == Select::Random) {
      std::vector<std::pair<uint64_t, size_t>> keyed;
      keyed.reserve(group.size());
      for (size_t i : group) keyed.emplace_back(seeded_key(rule.seed, static_cast<uint64_t>(samples[i].id)), i);
      std::sort(keyed.begin(), keyed.end());  // equal keys (equal ids) fall back to input order
      for (size_t n = 0; n < keyed.size(); ++n) group[n] = keyed[n].second;
    }
    for (size_t n = k; n < group.size(); ++n) drops.push_back({group[n], reason});
  }
  std::sort(drops.begin(), drops.end(), [](const SetRuleDrop& a, const SetRuleDrop& b) { return a.index < b.index; });
  return drops;
}

}  // namespace

std::vector<SetRuleDrop> apply_set_rule(const Rule& rule, const std::vector<PruneSample>& samples,
                                        const std::vector<char>& alive) {
  if (alive.size() != samples.size()) throw Error("apply_set_rule: alive[] does not match the samples");
  switch (rule.type) {
    case RuleType::Dedupe: return apply_dedupe(rule, samples, alive);
    case RuleType::MaxPerProblem: return apply_max_per_problem(rule, samples, alive);
    default: break;
  }
  throw Error("rule \"" + rule.name + "\" (" + to_string(rule.type) + ") is a per-sample rule, not a set rule");
}

}  // namespace tpt::prune
